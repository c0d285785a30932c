// How the page reaches its shell, with one interface for both: `invoke(command, args)`
// returns the command's answer, and `listen(event, handler)` hears pushed events.
// In the desktop app that is Tauri's IPC. In a phone's browser it is a WebSocket to the
// ledger's web gateway, which hosts this browser's session of the core.

// Above the transport's start below: a `const` is not there before its line runs.
const RETRY_MS_MIN = 250;
const RETRY_MS_MAX = 4000;
const LOST = 'The connection to the server dropped. Reconnecting…';

export const shell = window.__TAURI__ ? 'desktop' : 'web';

export const { invoke, listen } = shell === 'desktop' ? tauri() : socket();

function tauri() {
  return {
    invoke: window.__TAURI__.core.invoke,
    listen: (event, handler) => window.__TAURI__.event.listen(event, (message) => handler(message.payload)),
  };
}

/** Frames: `{id, command, args}` out; `{id, ok}`, `{id, error}`, `{event, payload}` or `{error}` in. */
function socket() {
  const handlers = new Map();
  const calls = new Map();
  let nextId = 1;
  let retryMs = RETRY_MS_MIN;
  let ws;
  // Commands that wait for a socket to open: the first, or the next after a drop.
  const waiting = [];

  // The latest of each event nobody listens to yet, for the listener that comes later.
  const unheard = new Map();
  const emit = (event, payload) => {
    if (!handlers.has(event)) return unheard.set(event, payload);
    for (const handler of handlers.get(event)) handler(payload);
  };

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    ws = new WebSocket(`${scheme}://${location.host}/ws`);
    ws.addEventListener('open', () => {
      retryMs = RETRY_MS_MIN;
      emit('transport', { connected: true });
      for (const resolve of waiting.splice(0)) resolve();
    });
    ws.addEventListener('message', (message) => receive(JSON.parse(message.data)));
    ws.addEventListener('close', () => {
      for (const call of calls.values()) call.reject(LOST);
      calls.clear();
      emit('transport', { connected: false, text: LOST });
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MS_MAX);
    });
  }

  function receive(frame) {
    if (frame.event) return emit(frame.event, frame.payload);
    const call = calls.get(frame.id);
    if (!call) return emit('server-error', frame.error);
    calls.delete(frame.id);
    if ('error' in frame) call.reject(frame.error);
    else call.resolve(frame.ok);
  }

  /**
   * Sends a command once a socket is open. While the page reconnects, a command waits for
   * the new socket: one sent on the closed socket would never be answered, and one sent on
   * a socket still connecting would throw.
   */
  async function invoke(command, args = {}) {
    while (ws.readyState !== WebSocket.OPEN) await new Promise((resolve) => waiting.push(resolve));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, command, args }));
    });
  }

  function listen(event, handler) {
    handlers.set(event, [...(handlers.get(event) ?? []), handler]);
    if (unheard.has(event)) handler(unheard.get(event));
    unheard.delete(event);
  }

  connect();
  return { invoke, listen };
}
