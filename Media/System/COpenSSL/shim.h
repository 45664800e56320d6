// System OpenSSL 3.0 (Debian libssl-dev): DTLS 1.2 for DTLS-SRTP, and HMAC/digests for STUN integrity.
// Function-like macros and variadics live in CMediaShims, not here.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/srtp.h>
#include <openssl/rand.h>
