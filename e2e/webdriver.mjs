// A small W3C WebDriver client over fetch: just the commands the end-to-end test uses.

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
