// Example client of the real-time route /v1/tts/ws (docs/realtime.md), with the `ws` npm package.
//
//   node realtime-client.mjs [--url ws://localhost:8080/v1/tts/ws] [--voice default] [--format pcm|opus]
//                            [--delay-ms 50] [--out speech.pcm] [--api-key KEY] "Text to speak."
//
// It sends the text word by word (as a language model would, --delay-ms apart), prints each segment as the server
// announces it, writes the audio (raw s16le 24 kHz for pcm, an .ogg file for opus) and ends with the totals.
// The tests (realtime.test.mjs) use openSession from here.
import WebSocket from 'ws';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Opens a session. Returns { ws, next, send, sendRaw, close }: next() resolves with the next frame the server sent,
 * { json } for a JSON message, { audio } (a Buffer) for binary audio, or { close, reason } once the socket closed.
 */
export function openSession(url, { headers } = {}) {
  const ws = new WebSocket(url, { headers });
  const frames = [];
  const waiting = [];
  const push = (frame) => (waiting.length > 0 ? waiting.shift()(frame) : frames.push(frame));
  ws.on('message', (data, isBinary) => push(isBinary ? { audio: Buffer.from(data) } : { json: JSON.parse(data.toString('utf8')) }));
  ws.on('close', (code, reason) => push({ close: code, reason: reason.toString('utf8') }));
  ws.on('error', (error) => push({ close: -1, reason: String(error) }));
  const opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return {
    ws,
    opened,
    next: () => (frames.length > 0 ? Promise.resolve(frames.shift()) : new Promise((resolve) => waiting.push(resolve))),
    send: (message) => ws.send(JSON.stringify(message)),
    sendRaw: (data, binary) => ws.send(data, { binary }),
    close: () => ws.close(1000, 'bye'),
  };
}

/** Reads frames until the close: { messages, audio (Buffer), close }. */
export async function readToClose(session) {
  const messages = [];
  const audio = [];
  for (;;) {
    const frame = await session.next();
    if (frame.close !== undefined) {
      return { messages, audio: Buffer.concat(audio), close: frame.close };
    }
    if (frame.audio) audio.push(frame.audio); else messages.push(frame.json);
  }
}

async function main(argv) {
  const options = { url: 'ws://localhost:8080/v1/tts/ws', voice: 'default', format: 'pcm', delayMs: 50, out: null, apiKey: null };
  const words = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--url') options.url = argv[++i];
    else if (flag === '--voice') options.voice = argv[++i];
    else if (flag === '--format') options.format = argv[++i];
    else if (flag === '--delay-ms') options.delayMs = Number(argv[++i]);
    else if (flag === '--out') options.out = argv[++i];
    else if (flag === '--api-key') options.apiKey = argv[++i];
    else words.push(flag);
  }
  const text = words.join(' ') || 'Hello there, this is the real-time route. It speaks while the text is still being written.';
  options.out ??= options.format === 'opus' ? 'speech.ogg' : 'speech.pcm';

  const session = openSession(options.url);
  await session.opened;
  session.send({ type: 'start', voice: options.voice, format: options.format, ...(options.apiKey ? { api_key: options.apiKey } : {}) });
  const reading = readToClose(session);
  for (const [i, word] of text.split(' ').entries()) {
    session.send({ type: 'text', text: i === 0 ? word : ` ${word}` });
    await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  }
  session.send({ type: 'end' });
  const result = await reading;
  for (const m of result.messages) {
    if (m.type === 'segment') console.error(`segment ${m.index} at ${m.start_s.toFixed(2)} s (${m.duration_s.toFixed(2)} s): ${m.text}`);
    if (m.type === 'error') console.error(`error ${m.problem}: ${m.detail}`);
    if (m.type === 'done') console.error(`done: ${m.segments} segments, ${m.audio_s.toFixed(2)} s of audio`);
  }
  writeFileSync(options.out, result.audio);
  console.error(`wrote ${result.audio.length} bytes to ${options.out}; closed with ${result.close}`);
  process.exitCode = result.close === 1000 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
