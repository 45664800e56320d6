// ALSA (Debian libasound2-dev): PCM capture and playback.
#include <alsa/asoundlib.h>
