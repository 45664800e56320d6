// CMediaShims — tiny C wrappers for what Swift cannot import directly from our C libraries:
// function-like macros (DTLSv1_get_timeout, SSL_set_mtu, vpx_codec_enc_init, VIDIOC_* ioctl numbers) and
// variadic functions (opus_encoder_ctl, vpx_codec_control). Each wrapper is one call; no logic lives here.
#ifndef CMEDIASHIMS_H
#define CMEDIASHIMS_H

#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <opus.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

// MARK: OpenSSL (DTLS 1.2 over a datagram-preserving BIO)

/// DTLSv1_get_timeout(): the time left until the handshake's retransmission timer fires. 1 if a timer runs.
long CMediaShims_DTLSv1_get_timeout(SSL *ssl, long *seconds, long *microseconds);
/// DTLSv1_handle_timeout(): retransmit the last flight if the timer expired.
long CMediaShims_DTLSv1_handle_timeout(SSL *ssl);
/// SSL_set_mtu(): explicit path MTU (with SSL_OP_NO_QUERY_MTU), else OpenSSL falls back to 256-byte records.
long CMediaShims_SSL_set_mtu(SSL *ssl, long mtu);
/// SSL_OP_NO_QUERY_MTU is built with the function-like SSL_OP_BIT macro, which Swift does not import.
uint64_t CMediaShims_SSL_OP_NO_QUERY_MTU(void);
/// SSL_OP_NO_TICKET (also SSL_OP_BIT-based): no session tickets, every DTLS association is fresh.
uint64_t CMediaShims_SSL_OP_NO_TICKET(void);
/// BIO_set_mem_eof_return(): make an empty memory BIO say "retry" instead of EOF.
long CMediaShims_BIO_set_mem_eof_return(BIO *bio, long value);
/// EVP_EC_gen("P-256"): an ECDSA P-256 key for the self-signed DTLS certificate.
EVP_PKEY *CMediaShims_EVP_EC_gen_P256(void);

// MARK: Opus (opus_encoder_ctl is variadic)

int CMediaShims_opus_set_bitrate(OpusEncoder *encoder, int32_t bitsPerSecond);
int CMediaShims_opus_set_inband_fec(OpusEncoder *encoder, int32_t enabled);
int CMediaShims_opus_set_packet_loss_percent(OpusEncoder *encoder, int32_t percent);
int CMediaShims_opus_set_complexity(OpusEncoder *encoder, int32_t complexity);
int CMediaShims_opus_set_dtx(OpusEncoder *encoder, int32_t enabled);
int CMediaShims_opus_get_bitrate(OpusEncoder *encoder, int32_t *bitsPerSecond);

// MARK: libvpx (vpx_codec_enc_init is a macro, vpx_codec_control is variadic)

vpx_codec_iface_t *CMediaShims_vp8_encoder(void);
vpx_codec_iface_t *CMediaShims_vp8_decoder(void);
vpx_codec_err_t CMediaShims_vpx_codec_enc_init(vpx_codec_ctx_t *context, vpx_codec_iface_t *iface,
                                               const vpx_codec_enc_cfg_t *config, vpx_codec_flags_t flags);
vpx_codec_err_t CMediaShims_vpx_codec_dec_init(vpx_codec_ctx_t *context, vpx_codec_iface_t *iface,
                                               const vpx_codec_dec_cfg_t *config, vpx_codec_flags_t flags);
vpx_codec_err_t CMediaShims_vp8_set_cpuused(vpx_codec_ctx_t *context, int cpuUsed);
vpx_codec_err_t CMediaShims_vp8_set_static_threshold(vpx_codec_ctx_t *context, unsigned int threshold);
vpx_codec_err_t CMediaShims_vp8_set_token_partitions(vpx_codec_ctx_t *context, int partitions);
vpx_codec_err_t CMediaShims_vp8_set_noise_sensitivity(vpx_codec_ctx_t *context, unsigned int level);
vpx_codec_err_t CMediaShims_vp8_set_max_intra_bitrate_pct(vpx_codec_ctx_t *context, unsigned int percent);
/// VP8D_GET_FRAME_CORRUPTED: whether the last decoded frame is corrupt (references lost data).
vpx_codec_err_t CMediaShims_vp8_get_frame_corrupted(vpx_codec_ctx_t *context, int *corrupted);

// MARK: V4L2 (ioctl request numbers are built with _IOR/_IOWR macros)

unsigned long CMediaShims_VIDIOC_QUERYCAP(void);
unsigned long CMediaShims_VIDIOC_ENUM_FMT(void);
unsigned long CMediaShims_VIDIOC_ENUM_FRAMESIZES(void);
unsigned long CMediaShims_VIDIOC_G_FMT(void);
unsigned long CMediaShims_VIDIOC_S_FMT(void);
unsigned long CMediaShims_VIDIOC_S_PARM(void);
unsigned long CMediaShims_VIDIOC_REQBUFS(void);
unsigned long CMediaShims_VIDIOC_QUERYBUF(void);
unsigned long CMediaShims_VIDIOC_QBUF(void);
unsigned long CMediaShims_VIDIOC_DQBUF(void);
unsigned long CMediaShims_VIDIOC_STREAMON(void);
unsigned long CMediaShims_VIDIOC_STREAMOFF(void);
/// v4l2_open() and v4l2_ioctl() are variadic in libv4l2.h.
int CMediaShims_v4l2_open(const char *path, int flags);
int CMediaShims_v4l2_ioctl(int descriptor, unsigned long request, void *argument);
/// v4l2_fourcc('Y','U','Y','V') and friends.
uint32_t CMediaShims_v4l2_fourcc(char a, char b, char c, char d);

#endif
