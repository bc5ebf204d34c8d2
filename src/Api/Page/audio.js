// Audio helpers of the page: WAV files, streamed PCM playback, microphone recording and in-browser conversion.

/** A 16-bit PCM mono WAV file of float samples in [-1, 1] (clamped, like the service's own WAV encoder). */
export function wavBlob(samples, sampleRate) {
  const bytes = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(bytes);
  const ascii = (offset, text) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, Math.round(s * 32767), true);
  }
  return new Blob([bytes], { type: 'audio/wav' });
}

/** Joins Float32Array pieces. */
export function concat(pieces) {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  for (const p of pieces) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

/**
 * Plays raw s16le mono PCM as it arrives from a streamed response: each network read becomes an AudioBuffer
 * scheduled right after the previous one, so playback starts with the first chunk and runs gap-free while later
 * chunks are still being synthesised. Keeps every sample for the WAV offered afterwards.
 */
export class PcmStreamPlayer {
  constructor(sampleRate) {
    this.sampleRate = sampleRate;
    this.context = new AudioContext({ sampleRate });
    this.pieces = [];
    this.carry = null; // an odd trailing byte: a sample split across two reads
    this.nextStart = 0;
    this.samples = 0;
  }

  /** Queues the bytes of one read; returns the number of samples scheduled. */
  push(bytes) {
    if (this.carry !== null) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      bytes = joined;
      this.carry = null;
    }
    if (bytes.length % 2 === 1) {
      this.carry = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    const count = bytes.length / 2;
    if (count === 0) {
      return 0;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const samples = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      samples[i] = view.getInt16(i * 2, true) / 32767;
    }
    this.pieces.push(samples);
    this.samples += count;
    const buffer = this.context.createBuffer(1, count, this.sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    // A short lead on the first piece (and after an underrun) so the start is not clipped.
    this.nextStart = Math.max(this.nextStart, this.context.currentTime + 0.05);
    source.start(this.nextStart);
    this.nextStart += buffer.duration;
    return count;
  }

  /** Everything received, as a WAV file. */
  wav() {
    return wavBlob(concat(this.pieces), this.sampleRate);
  }

  /** Releases the audio device once the scheduled audio has played. */
  closeWhenPlayed() {
    const remaining = Math.max(0, this.nextStart - this.context.currentTime);
    setTimeout(() => this.context.close(), (remaining + 0.5) * 1000);
  }
}

/**
 * Records the microphone as PCM through an AudioWorklet (recorder-worklet.js) and returns a WAV: the service reads
 * WAV itself, so the microphone needs no Opus/WebM decoding on either side. onProgress gets the seconds so far.
 */
export async function startRecording(onProgress, maxSeconds) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  try {
    await context.audioWorklet.addModule(new URL('recorder-worklet.js', import.meta.url));
  } catch (e) {
    stream.getTracks().forEach((t) => t.stop());
    await context.close();
    throw e;
  }
  const source = context.createMediaStreamSource(stream);
  // No outputs: the node is pulled by the graph without being connected to the speakers (no feedback).
  const node = new AudioWorkletNode(context, 'pcm-recorder', { numberOfOutputs: 0 });
  const pieces = [];
  let samples = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  let stopped = false;
  const stop = async () => {
    if (stopped) {
      return finished;
    }
    stopped = true;
    node.port.onmessage = null;
    source.disconnect();
    stream.getTracks().forEach((t) => t.stop());
    const rate = context.sampleRate;
    await context.close();
    finish({ blob: wavBlob(concat(pieces), rate), seconds: samples / rate });
    return finished;
  };
  node.port.onmessage = (event) => {
    pieces.push(event.data);
    samples += event.data.length;
    onProgress(samples / context.sampleRate);
    if (samples >= maxSeconds * context.sampleRate) {
      stop();
    }
  };
  source.connect(node);
  await context.resume();
  return { stop, finished };
}

/**
 * Decodes any file the browser can play (Ogg, Opus, WebM, FLAC, M4A…) and returns it as a 24 kHz mono WAV: the
 * page's fallback when the service answers 415 for the original bytes.
 */
export async function toWav(file) {
  const rate = 24000;
  const decoder = new OfflineAudioContext(1, 1, rate);
  const decoded = await decoder.decodeAudioData(await file.arrayBuffer());
  const mono = new Float32Array(decoded.length);
  for (let c = 0; c < decoded.numberOfChannels; c++) {
    const channel = decoded.getChannelData(c);
    for (let i = 0; i < mono.length; i++) {
      mono[i] += channel[i] / decoded.numberOfChannels;
    }
  }
  return wavBlob(mono, rate);
}
