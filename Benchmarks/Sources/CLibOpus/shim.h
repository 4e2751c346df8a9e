#include <opus.h>
static inline void direct_opus_configure(OpusEncoder *e, opus_int32 bitrate, opus_int32 complexity) {
    opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrate));
    opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(complexity));
    opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}
