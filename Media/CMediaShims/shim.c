#include "CMediaShims.h"

long CMediaShims_DTLSv1_get_timeout(SSL *ssl, long *seconds, long *microseconds) {
    struct timeval tv = {0, 0};
    long running = DTLSv1_get_timeout(ssl, &tv);
    *seconds = (long)tv.tv_sec;
    *microseconds = (long)tv.tv_usec;
    return running;
}
long CMediaShims_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
long CMediaShims_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }
uint64_t CMediaShims_SSL_OP_NO_QUERY_MTU(void) { return (uint64_t)SSL_OP_NO_QUERY_MTU; }
uint64_t CMediaShims_SSL_OP_NO_TICKET(void) { return (uint64_t)SSL_OP_NO_TICKET; }
long CMediaShims_BIO_set_mem_eof_return(BIO *bio, long value) { return BIO_set_mem_eof_return(bio, value); }
EVP_PKEY *CMediaShims_EVP_EC_gen_P256(void) { return EVP_EC_gen("P-256"); }

int CMediaShims_opus_set_bitrate(OpusEncoder *e, int32_t v) { return opus_encoder_ctl(e, OPUS_SET_BITRATE(v)); }
int CMediaShims_opus_set_inband_fec(OpusEncoder *e, int32_t v) { return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v)); }
int CMediaShims_opus_set_packet_loss_percent(OpusEncoder *e, int32_t v) {
    return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v));
}
int CMediaShims_opus_set_complexity(OpusEncoder *e, int32_t v) { return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v)); }
int CMediaShims_opus_set_dtx(OpusEncoder *e, int32_t v) { return opus_encoder_ctl(e, OPUS_SET_DTX(v)); }
int CMediaShims_opus_get_bitrate(OpusEncoder *e, int32_t *v) { return opus_encoder_ctl(e, OPUS_GET_BITRATE(v)); }

vpx_codec_iface_t *CMediaShims_vp8_encoder(void) { return vpx_codec_vp8_cx(); }
vpx_codec_iface_t *CMediaShims_vp8_decoder(void) { return vpx_codec_vp8_dx(); }
vpx_codec_err_t CMediaShims_vpx_codec_enc_init(vpx_codec_ctx_t *c, vpx_codec_iface_t *i,
                                               const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t f) {
    return vpx_codec_enc_init(c, i, cfg, f);
}
vpx_codec_err_t CMediaShims_vpx_codec_dec_init(vpx_codec_ctx_t *c, vpx_codec_iface_t *i,
                                               const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t f) {
    return vpx_codec_dec_init(c, i, cfg, f);
}
vpx_codec_err_t CMediaShims_vp8_set_cpuused(vpx_codec_ctx_t *c, int v) {
    return vpx_codec_control(c, VP8E_SET_CPUUSED, v);
}
vpx_codec_err_t CMediaShims_vp8_set_static_threshold(vpx_codec_ctx_t *c, unsigned int v) {
    return vpx_codec_control(c, VP8E_SET_STATIC_THRESHOLD, v);
}
vpx_codec_err_t CMediaShims_vp8_set_token_partitions(vpx_codec_ctx_t *c, int v) {
    return vpx_codec_control(c, VP8E_SET_TOKEN_PARTITIONS, v);
}
vpx_codec_err_t CMediaShims_vp8_set_noise_sensitivity(vpx_codec_ctx_t *c, unsigned int v) {
    return vpx_codec_control(c, VP8E_SET_NOISE_SENSITIVITY, v);
}
vpx_codec_err_t CMediaShims_vp8_set_max_intra_bitrate_pct(vpx_codec_ctx_t *c, unsigned int v) {
    return vpx_codec_control(c, VP8E_SET_MAX_INTRA_BITRATE_PCT, v);
}
vpx_codec_err_t CMediaShims_vp8_get_frame_corrupted(vpx_codec_ctx_t *c, int *v) {
    return vpx_codec_control(c, VP8D_GET_FRAME_CORRUPTED, v);
}

unsigned long CMediaShims_VIDIOC_QUERYCAP(void) { return VIDIOC_QUERYCAP; }
unsigned long CMediaShims_VIDIOC_ENUM_FMT(void) { return VIDIOC_ENUM_FMT; }
unsigned long CMediaShims_VIDIOC_ENUM_FRAMESIZES(void) { return VIDIOC_ENUM_FRAMESIZES; }
unsigned long CMediaShims_VIDIOC_G_FMT(void) { return VIDIOC_G_FMT; }
unsigned long CMediaShims_VIDIOC_S_FMT(void) { return VIDIOC_S_FMT; }
unsigned long CMediaShims_VIDIOC_S_PARM(void) { return VIDIOC_S_PARM; }
unsigned long CMediaShims_VIDIOC_REQBUFS(void) { return VIDIOC_REQBUFS; }
unsigned long CMediaShims_VIDIOC_QUERYBUF(void) { return VIDIOC_QUERYBUF; }
unsigned long CMediaShims_VIDIOC_QBUF(void) { return VIDIOC_QBUF; }
unsigned long CMediaShims_VIDIOC_DQBUF(void) { return VIDIOC_DQBUF; }
unsigned long CMediaShims_VIDIOC_STREAMON(void) { return VIDIOC_STREAMON; }
unsigned long CMediaShims_VIDIOC_STREAMOFF(void) { return VIDIOC_STREAMOFF; }
uint32_t CMediaShims_v4l2_fourcc(char a, char b, char c, char d) { return v4l2_fourcc(a, b, c, d); }
int CMediaShims_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
int CMediaShims_v4l2_ioctl(int descriptor, unsigned long request, void *argument) {
    return v4l2_ioctl(descriptor, request, argument);
}
