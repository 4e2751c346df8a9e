# Sourced by the scripts that measure a relay under this tree's load generator (relay-ab.sh,
# relay-mallocs.sh). start_loopback_relay BINARY CALLS DATA_DIR starts BINARY serving on
# 127.0.0.1:$relay_port, bridged to an OpenAI-style model on 127.0.0.1:$model_port, and sets
# $relay to its pid; the generator's echoing stand-in is then to take the model port.
# LOAD_GENERATOR names another generator binary (to compare generators on one relay).
# MODEL_AUDIO_FORMAT=pcmu selects the mu-law pass-through path (default pcm16).
load=${LOAD_GENERATOR:-.build/release/voice-relay}
model_port=7777
relay_port=7070

start_loopback_relay() {
  local binary=$1 calls=$2 data=$3
  # The relay's model health check must see a model at start: a simulated one stands in
  # until the generator's echoing stand-in takes the port (the next probe is 30 s away).
  "$load" simulate-model --port $model_port > /dev/null 2>&1 &
  sleep 1
  MODEL_PROVIDER=openai OPENAI_REALTIME_URL="ws://127.0.0.1:$model_port/v1/realtime?model=echo" MODEL_AUDIO_FORMAT="${MODEL_AUDIO_FORMAT:-pcm16}" \
    MAX_CALLS=$((calls + 50)) DATA_DIR="$data" LOG_LEVEL=warning MODEL_PROBE_SECONDS=30 \
    "$binary" serve --host 127.0.0.1 --port $relay_port > /dev/null 2>&1 &
  relay=$!
  sleep 3
  pkill -f "simulate-model --port $model_port"
  sleep 0.3
}

stop_loopback_processes() {
  pkill -f "serve --host 127.0.0.1 --port $relay_port" || true
  pkill -f "simulate-model --port $model_port" || true
}
