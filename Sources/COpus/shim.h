#ifndef VOICERELAY_COPUS_SHIM_H
#define VOICERELAY_COPUS_SHIM_H

#include <opus.h>

// opus_encoder_ctl and opus_decoder_ctl are variadic, which Swift cannot call.
// These fixed-signature wrappers expose the requests the relay uses.

static inline int copus_encoder_set_bitrate(OpusEncoder *st, opus_int32 bps) {
    return opus_encoder_ctl(st, OPUS_SET_BITRATE(bps));
}
static inline int copus_encoder_set_complexity(OpusEncoder *st, opus_int32 complexity) {
    return opus_encoder_ctl(st, OPUS_SET_COMPLEXITY(complexity));
}
static inline int copus_encoder_set_inband_fec(OpusEncoder *st, opus_int32 enabled) {
    return opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(enabled));
}
static inline int copus_encoder_set_packet_loss_perc(OpusEncoder *st, opus_int32 percent) {
    return opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(percent));
}
static inline int copus_encoder_set_dtx(OpusEncoder *st, opus_int32 enabled) {
    return opus_encoder_ctl(st, OPUS_SET_DTX(enabled));
}
static inline int copus_encoder_set_signal_voice(OpusEncoder *st) {
    return opus_encoder_ctl(st, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}
static inline int copus_encoder_get_lookahead(OpusEncoder *st, opus_int32 *samples) {
    return opus_encoder_ctl(st, OPUS_GET_LOOKAHEAD(samples));
}
static inline int copus_decoder_get_last_packet_duration(OpusDecoder *st, opus_int32 *samples) {
    return opus_decoder_ctl(st, OPUS_GET_LAST_PACKET_DURATION(samples));
}
static inline int copus_decoder_set_gain(OpusDecoder *st, opus_int32 q8_db) {
    return opus_decoder_ctl(st, OPUS_SET_GAIN(q8_db));
}

#endif
