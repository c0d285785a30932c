// The MQTT client utility's screen. It renders the core's UtilityView and sends what the
// person does as the core's actions; every rule and every changing word is the core's.
// Desktop only: in a browser the web gateway would have to open connections to any host
// for anyone who can reach it, so the tab is hidden there.

import { invoke, listen, shell } from './transport.js';

const $ = (id) => document.getElementById(id);

function setText(id, text) {
  const element = $(id);
  element.hidden = !text;
  element.textContent = text ?? '';
}

function cells(tr, texts) {
  for (const text of texts) {
    const td = document.createElement('td');
    td.textContent = text ?? '';
    tr.append(td);
  }
  return tr;
}

const act = (action) => invoke('utility_act', { action }).catch((error) => setText('u-connect-error', String(error)));

/** The connection form as typed, in the shape of the core's ConnectionForm. */
function form() {
  return {
    host: $('u-host').value,
    port: $('u-port').value,
    client_id: $('u-client-id').value,
    clean_session: $('u-clean-session').checked,
    keepalive_secs: $('u-keepalive').value,
    username: $('u-username').value,
    password: $('u-password').value,
    tls: $('u-tls').checked,
    ca_file: $('u-ca-file').value,
    will_topic: $('u-will-topic').value,
    will_message: $('u-will-message').value,
    will_qos: Number($('u-will-qos').value),
    will_retained: $('u-will-retained').checked,
    version: $('u-version').value,
  };
}

/** Fills the form from the core's, once per opening: afterwards the fields keep what was typed. */
function fillForm(f) {
  const text = { 'u-host': f.host, 'u-port': f.port, 'u-client-id': f.client_id, 'u-keepalive': f.keepalive_secs,
    'u-username': f.username, 'u-ca-file': f.ca_file, 'u-will-topic': f.will_topic, 'u-will-message': f.will_message,
    'u-will-qos': String(f.will_qos), 'u-version': f.version };
  for (const [id, value] of Object.entries(text)) $(id).value = value;
  $('u-clean-session').checked = f.clean_session;
  $('u-tls').checked = f.tls;
  $('u-will-retained').checked = f.will_retained;
}

function render(view) {
  $('u-connection').dataset.state = view.connection;
  $('u-connection-text').textContent = view.connection_text;
  $('u-disconnect').disabled = !view.can_disconnect;
  $('u-subscribe').disabled = !view.online;
  $('u-publish').disabled = !view.online;
  setText('u-connect-error', view.connect_error);
  setText('u-subscribe-error', view.subscribe_error);
  setText('u-publish-error', view.publish_error);
  $('u-subscriptions').replaceChildren(...view.subscriptions.map((row) => {
    const tr = cells(document.createElement('tr'), [row.filter, row.requested_text, row.status_text]);
    tr.classList.toggle('denied', row.denied);
    return tr;
  }));
  renderHistory(view);
  renderMessage(view.message);
  $('u-tree-count').textContent = view.tree_text;
  $('u-tree').replaceChildren(...view.tree.map((row) => {
    const li = document.createElement('li');
    li.style.paddingLeft = `${row.depth * 14}px`;
    for (const [cls, text] of [['name', row.name], ['value', row.value_text], ['retained', row.retained_text], ['messages', row.messages_text]]) {
      if (!text) continue;
      const span = document.createElement('span');
      span.className = cls;
      span.textContent = text;
      li.append(span);
    }
    return li;
  }));
  setText('u-tree-untracked', view.tree_untracked_text);
  setText('u-notice', view.notice);
  $('u-notice').dataset.error = String(view.notice_is_error);
}

function renderHistory(view) {
  const scroller = $('u-history-scroll');
  const top = scroller.scrollTop;
  $('u-history').replaceChildren(...view.history.map((row) => {
    const tr = cells(document.createElement('tr'),
      [row.event, row.topic, row.message, row.qos_text, row.retained_text, row.time_text]);
    tr.dataset.id = row.id;
    tr.classList.toggle('error', row.error);
    tr.classList.toggle('selected', row.selected);
    return tr;
  }));
  $('u-history-count').textContent = view.history_text;
  setText('u-dropped', view.dropped_text);
  $('u-scroll-lock').checked = view.scroll_lock;
  // Scroll lock keeps the rows being read in place; otherwise the newest stays in sight.
  scroller.scrollTop = view.scroll_lock ? top : scroller.scrollHeight;
}

function renderMessage(message) {
  $('u-message').hidden = !message;
  if (!message) return;
  $('u-message-title').textContent = message.title;
  setText('u-message-format', message.format_text);
  setText('u-message-note', message.note);
  $('u-message-text').textContent = message.text;
  setText('u-message-diff-text', message.diff_text);
  $('u-message-diff').hidden = message.diff.length === 0;
  $('u-message-diff').replaceChildren(...message.diff.map((line) => {
    const span = document.createElement('span');
    span.className = { '+': 'add', '-': 'del' }[line.sign] ?? 'same';
    span.textContent = `${line.sign} ${line.text}\n`;
    return span;
  }));
}

/** Wires the utility's screen; `show` switches screens, `showSignIn` goes back to the card. */
export async function wireUtility({ show, showSignIn }) {
  if (shell !== 'desktop') return;
  $('mode-utility').hidden = false;
  $('mode-utility').addEventListener('click', async () => {
    const view = await invoke('utility_open');
    fillForm(view.form);
    render(view);
    show('utility-screen');
  });
  $('u-close').addEventListener('click', async () => {
    await invoke('utility_close');
    showSignIn();
  });
  $('u-connect-form').addEventListener('submit', (event) => {
    event.preventDefault();
    act({ Connect: form() });
  });
  $('u-disconnect').addEventListener('click', () => act('Disconnect'));
  const subscription = () => ({ filter: $('u-sub-topic').value, qos: Number($('u-sub-qos').value) });
  $('u-subscribe-form').addEventListener('submit', (event) => {
    event.preventDefault();
    act({ Subscribe: subscription() });
  });
  // A subscription's row fills the topic, ready for Unsubscribe.
  $('u-subscriptions').addEventListener('click', (event) => {
    const tr = event.target.closest('tr');
    if (tr) $('u-sub-topic').value = tr.cells[0].textContent;
  });
  $('u-unsubscribe').addEventListener('click', () => act({ Unsubscribe: { filter: subscription().filter } }));
  $('u-publish-form').addEventListener('submit', (event) => {
    event.preventDefault();
    act({ Publish: { topic: $('u-pub-topic').value, message: $('u-pub-message').value,
      qos: Number($('u-pub-qos').value), retained: $('u-pub-retained').checked } });
  });
  $('u-clear').addEventListener('click', () => act('ClearHistory'));
  $('u-scroll-lock').addEventListener('change', () => act({ ScrollLock: $('u-scroll-lock').checked }));
  $('u-history').addEventListener('click', (event) => {
    const tr = event.target.closest('tr');
    if (tr) act({ ViewMessage: Number(tr.dataset.id) });
  });
  $('u-message-close').addEventListener('click', () => act({ ViewMessage: null }));
  for (const [id, format] of [['u-export-csv', 'Csv'], ['u-export-json', 'Json']]) {
    $(id).addEventListener('click', () => invoke('utility_export', { format }).catch((error) => setText('u-notice', String(error))));
  }
  await listen('utility', render);
}
