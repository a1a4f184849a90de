/*
 * frame.h - the typed messages between the daemon's processes.
 *
 * A frame is a 6-byte header (u32 payload length, u16 type; big-endian)
 * followed by at most FRAME_MAX_PAYLOAD bytes of typed fields.  Fields are
 * u8, u32, i64 (big-endian) and strings (u16 length, bytes, no NUL).
 * Readers take fields in order and must end with m_end(): a short field,
 * an over-long string, a NUL inside a string or a leftover byte is an
 * error, and so is an unknown type (each receiver has a dispatch table).
 */
#ifndef QIE_FRAME_H
#define QIE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR 6
#define FRAME_MAX_PAYLOAD 1024
#define FRAME_MAX (FRAME_HDR + FRAME_MAX_PAYLOAD)

enum msg_type {
	MSG_EXEC_REQ = 1,   /* worker -> executor */
	MSG_EXEC_RES = 2,   /* executor -> worker */
	MSG_ATTACH = 3,     /* supervisor -> executor, carries a lane's fd */
	MSG_AUTH = 4,       /* supervisor -> worker, first: the Redis password */
	MSG_VIOLATION = 5,  /* supervisor -> main worker: a role's seccomp kill */
	MSG_PING = 6,       /* supervisor -> child: u32 seq, answered by MSG_PONG */
	MSG_PONG = 7,       /* child -> supervisor: the u32 seq of the ping */
	MSG_READY = 8,      /* worker -> supervisor: Redis answered (no fields) */
	MSG_STATE = 9,      /* executor -> supervisor: u8 ok, str text */
	MSG_HUNG = 10,      /* supervisor -> main worker: a role killed as hung */
	MSG_SPEND = 11,     /* executor <-> supervisor: what a lane spent (spend.h) */
	/* position drift (executor/drift.h, workers/drift.c), main lane only */
	MSG_DRIFT = 12,     /* executor -> main worker: a symbol drifted */
	MSG_DRIFT_HOLD = 13,        /* main worker -> executor: the hash holds it */
	MSG_DRIFT_CLEAR = 14,       /* main worker -> executor: no longer */
	MSG_DRIFT_SYNCED = 15,      /* main worker -> executor: all held said */
};

/* Building a frame. */
struct mbuf {
	uint8_t data[FRAME_MAX];
	size_t len;
	int err;
};
void m_init(struct mbuf *m, uint16_t type);
void m_add_u8(struct mbuf *m, uint8_t v);
void m_add_u32(struct mbuf *m, uint32_t v);
void m_add_i64(struct mbuf *m, int64_t v);
void m_add_str(struct mbuf *m, const char *s);
/* Writes the length into the header; -1 if a field did not fit. */
int m_close(struct mbuf *m);

/* Reading a frame's payload. */
struct mreader {
	const uint8_t *p;
	size_t left;
	const char *err;        /* first error, NULL while all is well */
};
void m_reader(struct mreader *r, const uint8_t *payload, size_t len);
uint8_t m_get_u8(struct mreader *r);
uint32_t m_get_u32(struct mreader *r);
int64_t m_get_i64(struct mreader *r);
/* Copies a string of at most cap-1 bytes into buf (NUL-terminated). */
void m_get_str(struct mreader *r, char *buf, size_t cap);
/* 0 when every byte was consumed without error; else -1 (r->err says why). */
int m_end(struct mreader *r);

/* A byte stream split into frames. */
struct frame_in {
	uint8_t buf[2 * FRAME_MAX];
	size_t len, off;
};
/* read(2) once into the buffer: >0 bytes, 0 EOF, -1 error (errno set). */
long frame_in_read(int fd, struct frame_in *in);
/*
 * Takes the next whole frame: 1 (type and reader set), 0 (needs more
 * bytes), -1 (the header announces more than FRAME_MAX_PAYLOAD: the stream
 * is unusable; *why says so).
 */
int frame_next(struct frame_in *in, uint16_t *type, struct mreader *r,
    const char **why);

/* Frames waiting to be written to a non-blocking descriptor. */
struct frame_out {
	uint8_t buf[64 * FRAME_MAX];
	size_t len;
};
/* Queues a closed frame; -1 when the queue is full (peer not reading). */
int frame_out_push(struct frame_out *out, const struct mbuf *m);
/* Writes what the descriptor takes now: 0, or -1 on a write error. */
int frame_out_flush(int fd, struct frame_out *out);

/* A dispatch table entry: one per message type a receiver accepts. */
struct dispatch {
	uint16_t type;
	const char *name;
	int (*fn)(void *ctx, struct mreader *r);
};
/* Runs the handler for type; -1 (with *why) for a type not in the table. */
int dispatch_frame(const struct dispatch *table, void *ctx, uint16_t type,
    struct mreader *r, const char **why);

/*
 * The one way a receiver takes frames.  frame_drain() runs every whole
 * frame waiting in `in` through the receiver's table (a partial frame
 * waits for more bytes); frame_one() takes one datagram (SOCK_SEQPACKET)
 * that must hold exactly one frame.  0 when every frame was taken, -1 at
 * the first bad one, with err naming it: "EXEC_REQ: trailing bytes",
 * "type 9: unknown message type", "frame longer than the cap".
 */
int frame_drain(struct frame_in *in, const struct dispatch *table, void *ctx,
    char *err, size_t errlen);
int frame_one(const uint8_t *buf, size_t len, const struct dispatch *table,
    void *ctx, char *err, size_t errlen);

#endif
