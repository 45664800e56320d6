// libopus (Debian libopus-dev). The .pc file adds the opus/ include directory. CTL macros: see CMediaShims.
#include <opus.h>
