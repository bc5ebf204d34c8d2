// Swagger UI in headless Chromium (puppeteer-core driving /usr/bin/chromium): open /swagger, expand POST /v1/tts,
// "Try it out" → "Execute" with the pre-filled example body, and expect 200 with audio.
// F5TTS_URL names the server; CHROMIUM the browser (the C# test SwaggerTests starts both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';

const baseURL = process.env.F5TTS_URL;
assert.ok(baseURL, 'F5TTS_URL must name the running service');

test('Try it out → Execute on POST /v1/tts answers 200 with audio', async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(`${baseURL}/swagger/index.html`, { waitUntil: 'load' });
    const operation = '#operations-Speech-Synthesize';
    await page.waitForSelector(`${operation} .opblock-summary`);
    await page.click(`${operation} .opblock-summary`);
    await page.waitForSelector(`${operation} .try-out__btn`);
    await page.click(`${operation} .try-out__btn`);
    // The pre-filled body is the documented example, untouched.
    const body = await page.$eval(`${operation} textarea.body-param__text`, (e) => e.value);
    assert.doesNotMatch(body, /"reference"/);
    const tts = page.waitForResponse((r) => r.url().endsWith('/v1/tts') && r.request().method() === 'POST');
    await page.waitForSelector(`${operation} .execute`);
    await page.click(`${operation} .execute`);
    const response = await tts;
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['content-type'], 'audio/wav');
    assert.ok(Number(response.headers()['content-length']) > 44, 'a WAV header and samples');
    // The UI shows the status it got.
    const shown = await page.waitForSelector(`${operation} .live-responses-table tbody .response-col_status`);
    assert.match(await shown.evaluate((e) => e.textContent), /200/);
    // Swagger UI renders an audio body as a player of the WAV it received.
    await page.waitForSelector(`${operation} .live-responses-table audio source[type="audio/wav"]`);
  } finally {
    await browser.close();
  }
});
