// libv4l2 (Debian libv4l-dev): V4L2 capture with format conversion; the kernel UAPI for ioctls and structs.
#include <libv4l2.h>
#include <linux/videodev2.h>
