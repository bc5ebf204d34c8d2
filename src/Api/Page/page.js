// The page's behaviour: talks to the service's own API (/v1/models, /v1/voices, /v1/tts) with relative URLs, so it
// also works behind a path prefix. No framework, no build step.
import { PcmStreamPlayer, startRecording, toWav } from './audio.js';

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'f5tts-api-key';
const SAMPLE_RATE = 24000;
const MAX_RECORDING_SECONDS = 30;
const EXTENSIONS = { wav: 'wav', opus: 'ogg', mp3: 'mp3', pcm: 'pcm' };

function authHeaders(extra = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

/** The RFC 9457 problem of a failed response (or a stand-in built from its status for a body that is not one). */
async function problemOf(response) {
  const text = await response.text();
  try {
    const problem = JSON.parse(text);
    if (problem && typeof problem === 'object' && (problem.title || problem.detail)) {
      return { status: response.status, ...problem };
    }
  } catch {
    // not JSON: fall through
  }
  return { status: response.status, title: `${response.status} ${response.statusText}`, detail: text.slice(0, 500) };
}

function showProblem(region, problem) {
  region.querySelector('[data-title]').textContent = problem.title ?? 'Request failed';
  region.querySelector('[data-detail]').textContent = problem.detail ?? '';
  region.querySelector('[data-type]').textContent = [problem.status, problem.type].filter(Boolean).join(' · ');
  region.hidden = false;
  if (problem.status === 401) {
    $('auth').hidden = false;
  }
}

function hideProblem(region) {
  region.hidden = true;
}

function seconds(value) {
  return value === null || value === undefined || value === '' ? '–' : `${Number(value).toFixed(3)} s`;
}

// ---- model and voices ---------------------------------------------------------------------------------------

async function loadModel() {
  const status = $('model-status');
  const response = await fetch('v1/models', { headers: authHeaders() });
  if (response.status === 503) {
    status.textContent = 'The model is still loading; this page retries every 2 s.';
    setTimeout(loadModel, 2000);
    return;
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    status.textContent = `Model list unavailable: ${problem.title}. ${problem.detail ?? ''}`;
    if (response.status === 401) {
      $('auth').hidden = false;
    }
    return;
  }
  const model = (await response.json()).data[0];
  status.textContent = `Model ${model.name} (${model.precision}) on ${[...new Set(Object.values(model.providers ?? {}))].join(', ') || 'CPU'}.`
    + (model.note ? ` ${model.note}` : '');
  const steps = $('steps');
  steps.value = model.default_nfe_steps;
  steps.max = model.max_nfe_steps;
  steps.disabled = model.fixed_nfe_steps !== null && model.fixed_nfe_steps !== undefined;
  const format = $('format');
  format.replaceChildren(...model.output_formats.map((f) => {
    const option = new Option(f.available ? f.name : `${f.name} (unavailable)`, f.name);
    option.disabled = !f.available;
    option.title = f.reason ?? f.content_type;
    return option;
  }));
  format.value = 'wav';
}

async function loadVoices(select) {
  const response = await fetch('v1/voices', { headers: authHeaders() });
  if (!response.ok) {
    showProblem($('error'), await problemOf(response));
    return;
  }
  const voices = (await response.json()).voices;
  const list = $('voice');
  const keep = select ?? list.value;
  list.replaceChildren(...voices.map((v) => new Option(`${v.name} (${v.id}, ${v.durationSeconds.toFixed(1)} s)`, v.id)));
  if (voices.some((v) => v.id === keep)) {
    list.value = keep;
  }
}

// ---- synthesis ----------------------------------------------------------------------------------------------

function setTimings(values) {
  $('t-queue').textContent = seconds(values.queue);
  $('t-inference').textContent = seconds(values.inference);
  $('t-first').textContent = seconds(values.first);
  $('t-total').textContent = seconds(values.total);
  $('t-audio').textContent = seconds(values.audio);
  $('t-chunks').textContent = values.chunks ?? '–';
}

function showAudio(blob, extension) {
  const player = $('player');
  if (player.src) {
    URL.revokeObjectURL(player.src);
  }
  const url = URL.createObjectURL(blob);
  player.src = url;
  const download = $('download');
  download.href = url;
  download.download = `speech.${extension}`;
  download.textContent = `Download speech.${extension} (${(blob.size / 1024).toFixed(0)} KiB)`;
}

async function synthesize(event) {
  event.preventDefault();
  const button = $('synthesize');
  const result = $('result');
  const stream = $('stream').checked;
  const format = stream ? 'pcm' : $('format').value;
  const body = {
    text: $('text').value,
    voice: $('voice').value || undefined,
    nfe_steps: $('steps').disabled ? undefined : Number($('steps').value),
    speed: Number($('speed').value),
    format,
    stream: stream || undefined,
  };
  hideProblem($('error'));
  button.disabled = true;
  result.dataset.state = 'running';
  $('progress').textContent = 'Synthesising…';
  const started = performance.now();
  // The player is created inside the click, so the browser lets it start audio.
  const player = stream ? new PcmStreamPlayer(SAMPLE_RATE) : null;
  try {
    const response = await fetch('v1/tts', {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      showProblem($('error'), await problemOf(response));
      result.dataset.state = 'error';
      $('progress').textContent = '';
      player?.context.close();
      return;
    }
    result.hidden = false;
    if (player) {
      await playStream(response, player, started);
    } else {
      const blob = await response.blob();
      const h = response.headers;
      setTimings({
        queue: h.get('X-Queue-Time'),
        inference: h.get('X-Inference-Time'),
        first: (performance.now() - started) / 1000,
        total: h.get('X-Total-Time'),
        audio: h.get('X-Audio-Duration'),
        chunks: h.get('X-Chunks'),
      });
      showAudio(blob, EXTENSIONS[format] ?? format);
      $('progress').textContent = 'Done.';
      $('player').play().catch(() => { /* autoplay refused: the controls are there */ });
    }
    result.dataset.state = 'done';
  } catch (e) {
    showProblem($('error'), { title: 'The request failed', detail: String(e.message ?? e) });
    result.dataset.state = 'error';
    player?.context.close();
  } finally {
    button.disabled = false;
  }
}

/** Streamed synthesis: audio plays from the first chunk on; the whole clip is offered as WAV when it ends. */
async function playStream(response, player, started) {
  const result = $('result');
  const reader = response.body.getReader();
  let first = null;
  let reads = 0;
  setTimings({});
  await player.context.resume();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    if (player.push(value) > 0) {
      reads++;
      if (first === null) {
        first = (performance.now() - started) / 1000;
        $('t-first').textContent = seconds(first);
      }
      // Exposed for the page test: audio was scheduled this many times before the response ended.
      result.dataset.scheduled = String(reads);
      $('progress').textContent = `Playing… ${(player.samples / SAMPLE_RATE).toFixed(1)} s of audio received.`;
    }
  }
  result.dataset.scheduledBeforeEnd = String(reads);
  setTimings({ first, total: (performance.now() - started) / 1000, audio: player.samples / SAMPLE_RATE });
  showAudio(player.wav(), 'wav');
  player.closeWhenPlayed();
  $('progress').textContent = 'Done (streamed).';
}

// ---- adding a voice -----------------------------------------------------------------------------------------

let voiceAudio = null; // { blob, fileName, converted }
let recording = null;

function setVoiceAudio(blob, fileName) {
  voiceAudio = { blob, fileName };
  const preview = $('voice-preview');
  if (preview.src) {
    URL.revokeObjectURL(preview.src);
  }
  preview.src = URL.createObjectURL(blob);
  preview.hidden = false;
}

async function toggleRecording() {
  const button = $('record');
  const status = $('record-status');
  if (recording) {
    const { blob, seconds: length } = await recording.stop();
    recording = null;
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Record from microphone';
    $('voice-file').value = '';
    setVoiceAudio(blob, 'recording.wav');
    status.textContent = `Recorded ${length.toFixed(1)} s.`;
    status.dataset.recorded = length.toFixed(3);
    return;
  }
  hideProblem($('voice-error'));
  try {
    recording = await startRecording((s) => {
      status.textContent = `Recording… ${s.toFixed(1)} s`;
      status.dataset.seconds = s.toFixed(3);
    }, MAX_RECORDING_SECONDS);
  } catch (e) {
    showProblem($('voice-error'), { title: 'The microphone could not be opened', detail: String(e.message ?? e) });
    return;
  }
  recording.finished.then(() => {
    if (recording) {
      toggleRecording(); // stopped at the length limit
    }
  });
  button.setAttribute('aria-pressed', 'true');
  button.textContent = 'Stop recording';
}

async function postVoice(name, transcript, blob, fileName) {
  const form = new FormData();
  form.append('name', name);
  form.append('transcript', transcript);
  form.append('audio', blob, fileName);
  return fetch('v1/voices', { method: 'POST', headers: authHeaders(), body: form });
}

async function saveVoice(event) {
  event.preventDefault();
  const region = $('voice-error');
  const status = $('voice-status');
  hideProblem(region);
  if (!voiceAudio) {
    showProblem(region, { title: 'No audio', detail: 'Choose an audio file or record from the microphone first.' });
    return;
  }
  const name = $('voice-name').value;
  const transcript = $('voice-transcript').value;
  const button = $('voice-save');
  button.disabled = true;
  status.textContent = 'Uploading…';
  try {
    let response = await postVoice(name, transcript, voiceAudio.blob, voiceAudio.fileName);
    let note = '';
    if (response.status === 415) {
      // A format the service does not read (M4A, Ogg Vorbis…): the browser decodes it and sends WAV instead.
      const original = await problemOf(response);
      let wav;
      try {
        wav = await toWav(voiceAudio.blob);
      } catch {
        showProblem(region, original);
        status.textContent = '';
        return;
      }
      response = await postVoice(name, transcript, wav, 'converted.wav');
      note = ' (converted to WAV in the browser)';
    }
    if (!response.ok) {
      showProblem(region, await problemOf(response));
      status.textContent = '';
      return;
    }
    const voice = await response.json();
    status.textContent = `Saved voice “${voice.name}” as ${voice.id}, ${voice.durationSeconds.toFixed(1)} s of speech${note}.`;
    await loadVoices(voice.id);
    status.dataset.voiceId = voice.id;
  } catch (e) {
    showProblem(region, { title: 'The upload failed', detail: String(e.message ?? e) });
    status.textContent = '';
  } finally {
    button.disabled = false;
  }
}

// ---- wiring -------------------------------------------------------------------------------------------------

function errorRegion(region) {
  region.replaceChildren(
    Object.assign(document.createElement('h3'), { className: 'title' }),
    document.createElement('p'),
    Object.assign(document.createElement('p'), { className: 'hint' }));
  region.children[0].dataset.title = '';
  region.children[1].dataset.detail = '';
  region.children[2].dataset.type = '';
}

function init() {
  errorRegion($('error'));
  errorRegion($('voice-error'));
  $('api-key').value = sessionStorage.getItem(KEY_STORAGE) ?? '';
  $('api-key-save').addEventListener('click', () => {
    sessionStorage.setItem(KEY_STORAGE, $('api-key').value.trim());
    hideProblem($('error'));
    loadModel();
    loadVoices();
  });
  $('synth-form').addEventListener('submit', synthesize);
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      $('synth-form').requestSubmit();
    }
  });
  $('stream').addEventListener('change', () => {
    $('format').disabled = $('stream').checked;
  });
  $('voice-form').addEventListener('submit', saveVoice);
  $('voice-file').addEventListener('change', () => {
    const file = $('voice-file').files[0];
    if (file) {
      setVoiceAudio(file, file.name);
      if (!$('voice-name').value) {
        $('voice-name').value = file.name.replace(/\.[^.]+$/, '');
      }
    }
  });
  const record = $('record');
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia || !window.AudioWorkletNode) {
    record.disabled = true;
    $('record-status').textContent = 'The microphone needs https or localhost.';
  } else {
    record.addEventListener('click', toggleRecording);
  }
  loadModel();
  loadVoices();
}

init();
