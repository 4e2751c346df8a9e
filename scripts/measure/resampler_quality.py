#!/usr/bin/env python3
"""Measures VoiceRelay's resampler (through `voice-relay convert`) next to soxr and libspeexdsp.

Figures, for 8k<->24k (and the other telephony pairs with --all):
  ripple   passband peak-to-peak gain variation (dB) up to 0.45 x the lower rate
  reject   worst-case level (dB below the tone) of everything that is not the tone: the
           images of 8k->24k, the aliases of 24k->8k for tones above the 8 kHz side's Nyquist
  snr      1 kHz sine through 8k->24k->8k, against the original (dB)
  delay    algorithmic delay of one conversion (ms): ours as the filter reports it, the
           others from a streaming impulse response

Every signal passes through 16-bit PCM files as in real use, so ~95 dB is the measurable limit.
Usage: scripts/measure/resampler_quality.py [--binary .build/release/voice-relay] [--all]
"""
import argparse
import ctypes
import ctypes.util
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

try:
    import soxr
except ImportError:  # soxr is optional: the table then leaves its column out
    soxr = None

FULL_SCALE = 32767.0


def write_wav(path, samples, rate):
    pcm = np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())


def read_wav(path):
    with wave.open(path, "rb") as handle:
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
        return data.astype(np.float64) / 32768.0, handle.getframerate()


def quantize(samples):
    return np.clip(np.round(samples * 32768.0), -32768, 32767) / 32768.0


class Ours:
    name = "voicerelay"

    def __init__(self, binary):
        self.binary = binary
        self.directory = tempfile.mkdtemp(prefix="resampler-quality-")

    def resample(self, samples, rate_in, rate_out):
        source = os.path.join(self.directory, "in.wav")
        target = os.path.join(self.directory, "out.wav")
        write_wav(source, samples, rate_in)
        subprocess.run([self.binary, "convert", source, target, "--rate", str(rate_out)], check=True)
        output, rate = read_wav(target)
        assert rate == rate_out
        return output

    def delay_ms(self, rate_in, rate_out):
        source = os.path.join(self.directory, "d.wav")
        write_wav(source, np.zeros(rate_in // 10), rate_in)
        result = subprocess.run([self.binary, "convert", source, os.path.join(self.directory, "d2.wav"),
                                 "--rate", str(rate_out), "--verbose"], check=True, capture_output=True, text=True)
        for token in result.stderr.split():
            if token.startswith("delay="):
                return float(token[len("delay="):-2])
        return float("nan")


class Soxr:
    name = "soxr HQ"

    def resample(self, samples, rate_in, rate_out):
        return quantize(soxr.resample(quantize(samples), rate_in, rate_out, quality="HQ"))

    def delay_ms(self, rate_in, rate_out):
        # soxr's stream withholds output until its filter has filled, so the impulse method
        # reads 0 here; its real latency is not exposed by the Python binding.
        return float("nan")


class Speex:
    def __init__(self, quality):
        self.quality = quality
        self.name = f"speexdsp q{quality}"
        path = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
        self.lib = ctypes.CDLL(path)
        self.lib.speex_resampler_init.restype = ctypes.c_void_p
        self.lib.speex_resampler_init.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_int,
                                                  ctypes.POINTER(ctypes.c_int)]
        self.lib.speex_resampler_process_float.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                                           ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_uint32),
                                                           ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_uint32)]
        self.lib.speex_resampler_get_output_latency.argtypes = [ctypes.c_void_p]
        self.lib.speex_resampler_destroy.argtypes = [ctypes.c_void_p]

    def _stream(self, samples, rate_in, rate_out):
        error = ctypes.c_int(0)
        state = self.lib.speex_resampler_init(1, rate_in, rate_out, self.quality, ctypes.byref(error))
        source = np.ascontiguousarray(samples, dtype=np.float32)
        target = np.zeros(int(len(source) * rate_out / rate_in) + 64, dtype=np.float32)
        in_len = ctypes.c_uint32(len(source))
        out_len = ctypes.c_uint32(len(target))
        self.lib.speex_resampler_process_float(state, 0, source.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                               ctypes.byref(in_len), target.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                               ctypes.byref(out_len))
        latency = self.lib.speex_resampler_get_output_latency(state)
        self.lib.speex_resampler_destroy(state)
        return target[:out_len.value].astype(np.float64), latency

    def resample(self, samples, rate_in, rate_out):
        padded = np.concatenate([quantize(samples), np.zeros(rate_in // 10)])
        output, latency = self._stream(padded, rate_in, rate_out)
        wanted = int(round(len(samples) * rate_out / rate_in))
        return quantize(output[latency:latency + wanted])

    def delay_ms(self, rate_in, rate_out):
        impulse = np.zeros(rate_in // 5)
        impulse[0] = 1.0
        output, _ = self._stream(impulse, rate_in, rate_out)
        return np.argmax(np.abs(output)) / rate_out * 1000


def tone(frequency, rate, seconds=1.0, amplitude=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return amplitude * np.sin(2 * np.pi * frequency * t)


def fit_amplitude(signal, frequency, rate):
    """Least-squares amplitude of a sinusoid at `frequency` (and the residual)."""
    t = np.arange(len(signal)) / rate
    basis = np.stack([np.sin(2 * np.pi * frequency * t), np.cos(2 * np.pi * frequency * t)], axis=1)
    coefficients, *_ = np.linalg.lstsq(basis, signal, rcond=None)
    return np.hypot(*coefficients), signal - basis @ coefficients


def steady(signal, rate):
    """The middle of a one-second test signal, away from start and end transients."""
    edge = rate // 10
    return signal[edge:len(signal) - edge]


def measure(converter, low, high):
    lower = min(low, high)
    result = {}
    # Passband: both directions, tones from 100 Hz to 0.45 x the lower rate.
    gains = []
    for rate_in, rate_out in ((low, high), (high, low)):
        for frequency in np.linspace(100, 0.45 * lower, 24):
            output = converter.resample(tone(frequency, rate_in), rate_in, rate_out)
            amplitude, _ = fit_amplitude(steady(output, rate_out), frequency, rate_out)
            gains.append(20 * np.log10(amplitude / 0.5))
    result["ripple"] = max(gains) - min(gains)
    # Rejection: images when going up (everything but the tone), aliases when going down
    # (tones between 0.55 x and 1.0 x the higher rate's Nyquist; nothing of them may remain).
    worst = -np.inf
    for frequency in np.linspace(200, 0.45 * lower, 8):
        output = steady(converter.resample(tone(frequency, low), low, high), high)
        amplitude, residual = fit_amplitude(output, frequency, high)
        worst = max(worst, 20 * np.log10(np.sqrt(2) * np.std(residual) / amplitude))
    for frequency in np.linspace(0.55 * lower, 0.49 * high, 10):
        output = steady(converter.resample(tone(frequency, high), high, low), low)
        worst = max(worst, 20 * np.log10(np.sqrt(2) * np.std(output) / 0.5))
    result["reject"] = -worst
    # Round trip: 1 kHz through low -> high -> low, against the original.
    original = tone(1000, low)
    back = converter.resample(converter.resample(original, low, high), high, low)
    a, b = steady(original, low), steady(back[:len(original)], low)
    result["snr"] = 10 * np.log10(np.sum(a ** 2) / np.sum((a - b) ** 2))
    result["delay_up"] = converter.delay_ms(low, high)
    result["delay_down"] = converter.delay_ms(high, low)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/voice-relay")
    parser.add_argument("--all", action="store_true", help="also 8k<->16k, 16k<->24k, 16k<->48k, 24k<->48k, 8k<->48k")
    arguments = parser.parse_args()

    converters = [Ours(arguments.binary)]
    if soxr is not None:
        converters.append(Soxr())
    converters += [Speex(4), Speex(8), Speex(10)]
    pairs = [(8000, 24000)]
    if arguments.all:
        pairs += [(8000, 16000), (16000, 24000), (16000, 48000), (24000, 48000), (8000, 48000)]

    print("| pair | resampler | ripple dB (<= 0.1) | rejection dB (>= 80) | 1 kHz round-trip SNR dB (>= 70) | delay up ms | delay down ms |")
    print("|---|---|---|---|---|---|---|")
    failed = False
    for low, high in pairs:
        for converter in converters:
            figures = measure(converter, low, high)
            print(f"| {low // 1000}k<->{high // 1000}k | {converter.name} | {figures['ripple']:.4f} | {figures['reject']:.1f} | "
                  f"{figures['snr']:.1f} | {figures['delay_up']:.3f} | {figures['delay_down']:.3f} |", flush=True)
            if isinstance(converter, Ours):
                failed |= not (figures["ripple"] <= 0.1 and figures["reject"] >= 80 and figures["snr"] >= 70
                               and figures["delay_up"] <= 5 and figures["delay_down"] <= 5)
    if failed:
        print("voicerelay misses a target", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
