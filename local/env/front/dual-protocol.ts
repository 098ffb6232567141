import type { Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** The first bytes of an HTTP/2 connection with prior knowledge (h2c), which the SDK's HTTP/2 handler opens on an http:// endpoint. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * The connection with its first bytes put back, as a stream of its own: HTTP/2 sessions read a
 * socket's handle directly, past bytes unshifted into its JS buffer, so a plain Duplex (which Node
 * wraps and reads as a stream) carries them instead.
 */
function replayed(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read: () => socket.resume(),
    write: (chunk: Buffer, _encoding, done) => socket.write(chunk, done),
    final: (done) => socket.end(done),
    destroy: (error, done) => {
      socket.destroy(error ?? undefined);
      done(error);
    },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  socket.on('error', (error) => stream.destroy(error));
  return stream;
}

/**
 * One port for both protocols, as an AWS endpoint is: each connection goes to the HTTP/1.1 server
 * or, when it opens with the HTTP/2 preface (SubscribeToShard), to the HTTP/2 one.
 */
export function dispatchByProtocol(http1: Server, http2: Http2Server, sockets: Set<Socket>): NetServer {
  return createNetServer((socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      const isHttp2 = first.subarray(0, HTTP2_PREFACE.length).equals(HTTP2_PREFACE.subarray(0, Math.min(first.length, HTTP2_PREFACE.length)));
      if (isHttp2) {
        socket.pause();
        http2.emit('connection', replayed(socket, first));
        return;
      }
      socket.pause();
      socket.unshift(first);
      http1.emit('connection', socket);
      socket.resume();
    });
  });
}
