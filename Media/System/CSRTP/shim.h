// libsrtp2 (Debian libsrtp2-dev): SRTP/SRTCP protect and unprotect (RFC 3711, RFC 7714 AEAD-GCM).
#include <srtp2/srtp.h>
