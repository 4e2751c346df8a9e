// The floor a relay is measured against: the least work that moves the same messages.
//
// One thread, one epoll loop, non-blocking sockets. It speaks just enough of both protocols to
// stand in for `voice-relay serve` under `voice-relay load` (and so under scripts/measure/relay-ab.sh):
// the Twilio side's WebSocket upgrade and frames, and a WebSocket client to the model stand-in,
// opened on `start`. Each caller `media` frame becomes one `input_audio_buffer.append` with the
// same base64 copied across; each `response.output_audio.delta` becomes one caller `media`
// frame, with a `mark` in the same write every fifth frame, as the relay sends them. No JSON
// parser, no base64 decoding, no audio processing, no records, no metrics: what is left is the
// system calls, the WebSocket framing (masking included) and finding a few fields by string
// search. So its CPU per call-second, measured in the same minutes as the relay's, is the
// machine's floor for the mu-law pass-through path, and the relay's ratio to it a figure that
// holds across this VM's slow and fast hours.
//
// Build: cc -O2 -o floor-relay Benchmarks/FloorRelay/floor_relay.c -lcrypto
// Run:   OPENAI_REALTIME_URL=ws://127.0.0.1:PORT/v1/realtime floor-relay serve --host 127.0.0.1 --port 7070
// It serves 127.0.0.1 only and exits on SIGTERM or SIGINT.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { buffer_size = 4096, max_events = 256, marks_every = 5, pending_limit = 65536, backlog_limit = 1 << 20 };

/// One side of a call: the caller's socket or the model's.
struct endpoint {
    int fd;
    int is_model;
    int upgraded;  // the HTTP upgrade is done; WebSocket frames follow
    struct call *call;
    unsigned char in[buffer_size];
    size_t in_count;
    unsigned char *out;  // what a full socket did not take yet
    size_t out_count, out_capacity;
};

struct call {
    struct endpoint caller, model;
    int model_open;  // a model connection was started (on `start`)
    char stream_sid[64];
    unsigned frames_to_caller;
    unsigned char *pending;  // appends composed before the model's upgrade completed
    size_t pending_count, pending_capacity;
};

static int epoll_fd;
static struct sockaddr_in model_address;
static char model_path[256] = "/v1/realtime";
static volatile sig_atomic_t stopping;

static void on_signal(int signal_number) { (void)signal_number; stopping = 1; }

static void append_bytes(unsigned char **buffer, size_t *count, size_t *capacity, const void *bytes, size_t length) {
    if (*count + length > *capacity) {
        size_t wanted = (*count + length) * 2;
        *buffer = realloc(*buffer, wanted);
        *capacity = wanted;
    }
    memcpy(*buffer + *count, bytes, length);
    *count += length;
}

static void close_call(struct call *call) {
    if (call->caller.fd >= 0) close(call->caller.fd);
    if (call->model.fd >= 0) close(call->model.fd);
    free(call->caller.out);
    free(call->model.out);
    free(call->pending);
    free(call);
}

/// Writes what it can now, keeps the rest and asks epoll to say when there is room.
static void send_bytes(struct endpoint *endpoint, const unsigned char *bytes, size_t length) {
    size_t written = 0;
    if (endpoint->out_count == 0) {
        ssize_t result = write(endpoint->fd, bytes, length);
        if (result > 0) written = (size_t)result;
        else if (result < 0 && errno != EAGAIN) return;
    }
    if (written == length) return;
    if (endpoint->out_count + length - written > backlog_limit) return;  // a peer not reading loses audio, not memory
    int had_backlog = endpoint->out_count > 0;
    append_bytes(&endpoint->out, &endpoint->out_count, &endpoint->out_capacity, bytes + written, length - written);
    if (!had_backlog) {
        struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.ptr = endpoint};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, endpoint->fd, &event);
    }
}

static void flush_backlog(struct endpoint *endpoint) {
    ssize_t result = write(endpoint->fd, endpoint->out, endpoint->out_count);
    if (result <= 0) return;
    memmove(endpoint->out, endpoint->out + result, endpoint->out_count - (size_t)result);
    endpoint->out_count -= (size_t)result;
    if (endpoint->out_count == 0) {
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = endpoint};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, endpoint->fd, &event);
    }
}

/// Appends one WebSocket text frame around `payload` (masked when the model is the peer, as a
/// client must) to `frame`, and returns its length.
static size_t compose_frame(unsigned char *frame, const unsigned char *payload, size_t length, int masked) {
    size_t header = 2;
    frame[0] = 0x81;
    if (length < 126) {
        frame[1] = (unsigned char)length;
    } else {
        frame[1] = 126;
        frame[2] = (unsigned char)(length >> 8);
        frame[3] = (unsigned char)length;
        header = 4;
    }
    if (!masked) {
        memcpy(frame + header, payload, length);
        return header + length;
    }
    static const unsigned char key[4] = {0x5a, 0x1c, 0xe3, 0x97};
    frame[1] |= 0x80;
    memcpy(frame + header, key, 4);
    header += 4;
    for (size_t index = 0; index < length; index++) frame[header + index] = payload[index] ^ key[index & 3];
    return header + length;
}

/// The string value of `"name":"` in `json`, found by search (enough for these messages).
static const char *field(const char *json, size_t length, const char *name, size_t *value_length) {
    const char *found = memmem(json, length, name, strlen(name));
    if (!found) return NULL;
    const char *value = found + strlen(name);
    const char *end = memchr(value, '"', (size_t)(json + length - value));
    if (!end) return NULL;
    *value_length = (size_t)(end - value);
    return value;
}

static void start_model(struct call *call) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connect(fd, (struct sockaddr *)&model_address, sizeof model_address);  // EINPROGRESS
    call->model.fd = fd;
    call->model_open = 1;
    char request[512];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                          model_path);
    // Until connected, the request waits in the backlog; EPOLLOUT sends it.
    append_bytes(&call->model.out, &call->model.out_count, &call->model.out_capacity, request, (size_t)length);
    struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.ptr = &call->model};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

static void from_caller(struct call *call, const char *json, size_t length) {
    size_t value_length;
    const char *event = field(json, length, "\"event\":\"", &value_length);
    if (!event) return;
    if (value_length == 5 && memcmp(event, "media", 5) == 0) {
        const char *payload = field(json, length, "\"payload\":\"", &value_length);
        if (!payload) return;
        unsigned char message[1024], frame[1100];
        static const char prefix[] = "{\"type\":\"input_audio_buffer.append\",\"audio\":\"";
        if (value_length > sizeof message - sizeof prefix - 2) return;
        memcpy(message, prefix, sizeof prefix - 1);
        memcpy(message + sizeof prefix - 1, payload, value_length);
        memcpy(message + sizeof prefix - 1 + value_length, "\"}", 2);
        size_t framed = compose_frame(frame, message, sizeof prefix - 1 + value_length + 2, 1);
        if (call->model.upgraded) send_bytes(&call->model, frame, framed);
        else if (call->pending_count + framed <= pending_limit)  // a model that never answers holds at most this
            append_bytes(&call->pending, &call->pending_count, &call->pending_capacity, frame, framed);
    } else if (value_length == 5 && memcmp(event, "start", 5) == 0 && !call->model_open) {
        const char *sid = field(json, length, "\"streamSid\":\"", &value_length);
        if (sid && value_length < sizeof call->stream_sid) {
            memcpy(call->stream_sid, sid, value_length);
            call->stream_sid[value_length] = 0;
        }
        start_model(call);
    }
}

static void from_model(struct call *call, const char *json, size_t length) {
    size_t value_length;
    const char *type = field(json, length, "\"type\":\"", &value_length);
    if (!type || value_length != 27 || memcmp(type, "response.output_audio.delta", 27) != 0) return;
    const char *delta = field(json, length, "\"delta\":\"", &value_length);
    if (!delta || value_length > 900) return;
    char message[1200];
    unsigned char frames[2600];
    int count = snprintf(message, sizeof message, "{\"event\":\"media\",\"streamSid\":\"%s\",\"media\":{\"payload\":\"%.*s\"}}",
                         call->stream_sid, (int)value_length, delta);
    size_t framed = compose_frame(frames, (unsigned char *)message, (size_t)count, 0);
    call->frames_to_caller++;
    if (call->frames_to_caller % marks_every == 0) {
        count = snprintf(message, sizeof message, "{\"event\":\"mark\",\"streamSid\":\"%s\",\"mark\":{\"name\":\"1:%u\"}}",
                         call->stream_sid, call->frames_to_caller * 20);
        framed += compose_frame(frames + framed, (unsigned char *)message, (size_t)count, 0);
    }
    send_bytes(&call->caller, frames, framed);
}

/// Completes an HTTP upgrade from the buffered bytes; returns how many it used (0: not yet).
static size_t upgrade(struct endpoint *endpoint) {
    unsigned char *end = memmem(endpoint->in, endpoint->in_count, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t used = (size_t)(end + 4 - endpoint->in);
    endpoint->upgraded = 1;
    if (endpoint->is_model) {
        struct call *call = endpoint->call;
        if (call->pending_count) send_bytes(endpoint, call->pending, call->pending_count);
        call->pending_count = 0;
        return used;
    }
    const char *key = memmem(endpoint->in, used, "Sec-WebSocket-Key: ", 19);
    if (!key) return (size_t)-1;
    key += 19;
    const char *key_end = memmem(key, used - (size_t)(key - (char *)endpoint->in), "\r\n", 2);
    char joined[128];
    int joined_length = snprintf(joined, sizeof joined, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)(key_end - key), key);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((unsigned char *)joined, (size_t)joined_length, digest);
    unsigned char accept[64];
    EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
    char response[256];
    int length = snprintf(response, sizeof response,
                          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    send_bytes(endpoint, (unsigned char *)response, (size_t)length);
    return used;
}

/// Handles every whole frame in the buffer; returns -1 when the call should end.
static int read_frames(struct endpoint *endpoint) {
    size_t offset = 0;
    if (!endpoint->upgraded) {
        offset = upgrade(endpoint);
        if (offset == (size_t)-1) return -1;
        if (offset == 0) return endpoint->in_count == buffer_size ? -1 : 0;
    }
    for (;;) {
        unsigned char *frame = endpoint->in + offset;
        size_t available = endpoint->in_count - offset;
        if (available < 2) break;
        size_t length = frame[1] & 0x7f, header = 2;
        int masked = frame[1] & 0x80;
        if (length == 126) {
            if (available < 4) break;
            length = (size_t)frame[2] << 8 | frame[3];
            header = 4;
        } else if (length == 127) {
            return -1;  // no message here is that long
        }
        if (masked) header += 4;
        if (available < header + length) {
            if (header + length > buffer_size) return -1;
            break;
        }
        unsigned char *payload = frame + header;
        if (masked) {
            for (size_t index = 0; index < length; index++) payload[index] ^= frame[header - 4 + (index & 3)];
        }
        int opcode = frame[0] & 0x0f;
        if (opcode == 8) return -1;
        if (opcode == 1) {
            if (endpoint->is_model) from_model(endpoint->call, (char *)payload, length);
            else from_caller(endpoint->call, (char *)payload, length);
        }
        offset += header + length;
    }
    memmove(endpoint->in, endpoint->in + offset, endpoint->in_count - offset);
    endpoint->in_count -= offset;
    return 0;
}

static void accept_calls(int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct call *call = calloc(1, sizeof *call);
        call->caller = (struct endpoint){.fd = fd, .call = call};
        call->model = (struct endpoint){.fd = -1, .is_model = 1, .call = call};
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = &call->caller};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 7070;
    for (int index = 1; index + 1 < argc; index++) {
        if (strcmp(argv[index], "--host") == 0) host = argv[++index];
        else if (strcmp(argv[index], "--port") == 0) port = atoi(argv[++index]);
    }
    if (strcmp(host, "127.0.0.1") != 0) {
        fprintf(stderr, "floor-relay serves 127.0.0.1 only\n");
        return 2;
    }
    const char *url = getenv("OPENAI_REALTIME_URL");
    int model_port = 0;
    if (!url || sscanf(url, "ws://127.0.0.1:%d%255s", &model_port, model_path) < 1) {
        fprintf(stderr, "set OPENAI_REALTIME_URL=ws://127.0.0.1:PORT/PATH (the model stand-in)\n");
        return 2;
    }
    model_address = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)model_port)};
    inet_pton(AF_INET, "127.0.0.1", &model_address.sin_addr);

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4096) != 0) {
        perror("floor-relay: listen");
        return 1;
    }
    epoll_fd = epoll_create1(0);
    struct epoll_event listen_event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &listen_event);

    struct epoll_event events[max_events];
    while (!stopping) {
        int ready = epoll_wait(epoll_fd, events, max_events, 500);
        for (int index = 0; index < ready; index++) {
            if (!events[index].events) continue;  // its call ended earlier in this batch
            struct endpoint *endpoint = events[index].data.ptr;
            if (!endpoint) {
                accept_calls(listener);
                continue;
            }
            struct call *call = endpoint->call;
            if (events[index].events & EPOLLOUT && endpoint->out_count) flush_backlog(endpoint);
            if (!(events[index].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            ssize_t count = read(endpoint->fd, endpoint->in + endpoint->in_count, buffer_size - endpoint->in_count);
            if (count < 0 && errno == EAGAIN) continue;
            int finished = count <= 0;
            if (!finished) {
                endpoint->in_count += (size_t)count;
                finished = read_frames(endpoint) < 0;
            }
            if (finished) {
                // Either side closing ends the call; events already fetched for it are cleared.
                for (int later = index + 1; later < ready; later++) {
                    struct endpoint *other = events[later].data.ptr;
                    if (other && other->call == call) events[later].data.ptr = NULL, events[later].events = 0;
                }
                close_call(call);
            }
        }
    }
    return 0;
}
