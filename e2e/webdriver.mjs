// A small W3C WebDriver client over fetch: just the commands the end-to-end tests use,
// with tauri-driver, WebKitWebDriver and chromedriver alike.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const POLL_MS = 100;

export class WebDriver {
  constructor(url, sessionId) {
    this.base = `${url}/session/${sessionId}`;
    this.url = url;
    this.sessionId = sessionId;
  }

  static async start(url, capabilities) {
    const { sessionId } = await call('POST', `${url}/session`, { capabilities: { alwaysMatch: capabilities } });
    return new WebDriver(url, sessionId);
  }

  async quit() {
    await call('DELETE', this.base);
  }

  async find(selector) {
    const found = await call('POST', `${this.base}/element`, { using: 'css selector', value: selector });
    return found[ELEMENT];
  }

  async click(selector) {
    await call('POST', `${this.base}/element/${await this.find(selector)}/click`, {});
  }

  /**
   * A finger's tap on the element's centre (W3C actions, pointer type touch), as on a
   * phone; scrolled into view first, as a person would. `false` when the driver has no
   * touch pointer: the caller decides what to do instead.
   */
  async tap(selector) {
    const element = await this.find(selector);
    await this.run('arguments[0].scrollIntoView({ block: "nearest" })', { [ELEMENT]: element });
    const finger = {
      type: 'pointer',
      id: 'finger',
      parameters: { pointerType: 'touch' },
      actions: [
        { type: 'pointerMove', duration: 0, origin: { [ELEMENT]: element }, x: 0, y: 0 },
        { type: 'pointerDown', button: 0 },
        { type: 'pause', duration: 40 },
        { type: 'pointerUp', button: 0 },
      ],
    };
    try {
      await call('POST', `${this.base}/actions`, { actions: [finger] });
    } catch (error) {
      if (/unsupported|not supported|unknown|invalid argument/i.test(error.message)) return false;
      throw error;
    } finally {
      await call('DELETE', `${this.base}/actions`).catch(() => {});
    }
    return true;
  }

  /** Replaces the field's text, as a person typing would. */
  async type(selector, text) {
    const element = await this.find(selector);
    await call('POST', `${this.base}/element/${element}/clear`, {});
    await call('POST', `${this.base}/element/${element}/value`, { text });
  }

  /** The element's text content. (WebKit's Get Element Text misses text in clipped flex items.) */
  async text(selector) {
    const element = { [ELEMENT]: await this.find(selector) };
    return this.run('return arguments[0].textContent', element);
  }

  async run(script, ...args) {
    return call('POST', `${this.base}/execute/sync`, { script, args });
  }

  /** Runs `script` until it calls its last argument, and returns what it passed. */
  async runAsync(script, ...args) {
    return call('POST', `${this.base}/execute/async`, { script, args });
  }

  /** Resolves once the page has painted two more frames: what the DOM shows is on screen. */
  async nextFrames() {
    await this.runAsync(`const done = arguments[arguments.length - 1];
      requestAnimationFrame(() => requestAnimationFrame(() => done(true)));`);
  }

  async open(url) {
    await call('POST', `${this.base}/url`, { url });
  }

  /** Sets the window's outer size; drivers without it answer an error. */
  async setWindowSize(width, height) {
    return call('POST', `${this.base}/window/rect`, { width, height });
  }

  /** The viewport's size and each selector's first element's box, in CSS pixels (`null` when missing). */
  async geometry(selectors) {
    return this.run(`return {
      innerWidth: window.innerWidth, innerHeight: window.innerHeight, devicePixelRatio: window.devicePixelRatio,
      rects: arguments[0].map((selector) => {
        const element = document.querySelector(selector);
        if (!element) return null;
        const { x, y, width, height } = element.getBoundingClientRect();
        return { x, y, width, height };
      }),
    };`, selectors);
  }

  /** The window as PNG bytes. */
  async screenshot() {
    return Buffer.from(await call('GET', `${this.base}/screenshot`), 'base64');
  }

  /** Polls `probe` until `wanted` accepts what it returns (by default: anything truthy). */
  async until(what, probe, wanted = Boolean, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        last = await probe();
        if (wanted(last)) return last;
      } catch (error) {
        last = error.message;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw: ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

async function call(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const reply = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(`WebDriver ${method} ${url} failed (${response.status}): ${JSON.stringify(reply.value ?? reply)}`);
  }
  return reply.value;
}
