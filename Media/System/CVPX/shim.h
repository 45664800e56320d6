// libvpx (Debian libvpx-dev): VP8 encode/decode. vpx_codec_control is a macro: see CMediaShims.
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
