// Renders the view models the Rust side pushes, and sends what the person does as
// commands. No rules, amounts or formats here: every text comes from the core. The same
// page runs in the desktop app and, served by ledger-service, in any phone's browser.

import { invoke, listen, shell } from './transport.js';
import { wireUtility } from './utility.js';
import { renderChannels, wireChannels } from './channels.js';

const $ = (id) => document.getElementById(id);
const screens = ['login-screen', 'customer-screen', 'operator-screen', 'utility-screen'];
let mode = 'customer';

function show(screen) {
  for (const id of screens) $(id).hidden = id !== screen;
}

const nothingShown = () => screens.every((id) => $(id).hidden);

function setText(id, text) {
  const element = $(id);
  element.hidden = !text;
  element.textContent = text ?? '';
}

/** A list item from [class, text] pairs; text is never parsed as HTML. */
function item(className, parts) {
  const li = document.createElement('li');
  li.className = className;
  for (const [cls, text] of parts) {
    if (text == null || text === '') continue;
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    li.append(span);
  }
  return li;
}

// --- Sign-in -------------------------------------------------------------------------

function showSignIn() {
  show('login-screen');
  $('password').value = '';
}

function setMode(next) {
  mode = next;
  $('mode-customer').classList.toggle('active', mode === 'customer');
  $('mode-operator').classList.toggle('active', mode === 'operator');
  for (const el of document.querySelectorAll('.customer-only')) el.hidden = mode !== 'customer';
  for (const el of document.querySelectorAll('.operator-only')) el.hidden = mode !== 'operator';
  $('sign-in').textContent = mode === 'customer' ? 'Sign in' : 'Open explorer';
  $('password').value = '';
  setText('login-error', '');
}

async function signIn(event) {
  event.preventDefault();
  const broker = $('broker').value;
  const password = $('password').value;
  $('sign-in').disabled = true;
  try {
    if (mode === 'customer') {
      const account = $('account').value;
      renderCustomer(await invoke('sign_in', { broker, account, password }));
      localStorage.setItem('account', account);
      show('customer-screen');
    } else {
      renderOperator(await invoke('operator_sign_in', { broker, password }));
      show('operator-screen');
    }
    localStorage.setItem('broker', broker);
    $('password').value = '';
    setText('login-error', '');
  } catch (error) {
    setText('login-error', String(error));
  } finally {
    $('sign-in').disabled = false;
  }
}

async function signOut(command) {
  try {
    await invoke(command);
    showSignIn();
  } catch (error) {
    shout(error);
  }
}

/** A command's error where the screen shows it: the notice, or the sign-in card's line. */
function shout(error) {
  if (!$('customer-screen').hidden) renderNotice({ text: String(error), tone: 'Error' });
  else setText($('login-screen').hidden ? 'ignored' : 'login-error', String(error));
}

/** A browser's session outlives the page: on (re)load the gateway says what it hosts. */
function resume(hosted) {
  if (hosted.customer) {
    renderCustomer(hosted.customer);
    show('customer-screen');
  } else if (hosted.operator) {
    renderOperator(hosted.operator);
    show('operator-screen');
  } else {
    if (hosted.account && !$('account').value) $('account').value = hosted.account;
    showSignIn();
    setText('login-error', hosted.message);
  }
}

// --- Customer ------------------------------------------------------------------------

function renderCustomer(view) {
  $('account-label').textContent = view.account_title;
  $('device-label').textContent = view.device_name;
  $('connection').dataset.state = view.connection;
  $('connection-text').textContent = view.connection_text;
  setText('ledger-banner', view.ledger_text);
  $('balance').textContent = view.balance_text;
  $('balance').classList.toggle('unknown', !view.balance_known);
  setText('pending', view.pending_text);
  $('devices').textContent = view.devices_online_text ?? '';
  renderForm(view.form);
  renderNotice(view.notice);
  renderHistory(view);
}

function renderForm(form) {
  // A field being typed in keeps what the person typed; the core's copy may be older.
  for (const field of ['payee', 'amount', 'memo']) {
    const input = $(field);
    if (document.activeElement !== input && input.value !== form[field]) input.value = form[field];
    setText(`${field}-error`, form[`${field}_error`]);
    input.classList.toggle('invalid', Boolean(form[`${field}_error`]));
  }
  $('send').disabled = !form.send_enabled;
}

function renderNotice(notice) {
  setText('notice', notice?.text);
  $('notice').dataset.tone = notice?.tone ?? '';
}

function renderHistory(view) {
  const rows = view.history.map((row) => {
    const li = item(`row ${row.incoming ? 'in' : 'out'}`, [
      ['title', row.title],
      ['amount', row.amount_text],
      ['memo', row.memo],
      ['time', row.time_text],
      ['status', row.status_text],
      ['after', row.balance_after_text],
    ]);
    li.dataset.status = row.status;
    li.dataset.id = row.id;
    return li;
  });
  $('history').replaceChildren(...rows);
  $('history-empty').hidden = rows.length > 0 || view.history_loading;
  $('load-more').hidden = !view.can_load_more_history;
}

function formValues() {
  return { payee: $('payee').value, amount: $('amount').value, memo: $('memo').value };
}

async function send(event) {
  event.preventDefault();
  $('send').focus(); // lets the core's cleared form replace the fields
  await invoke('transfer', formValues()).catch(shout);
}

// --- Operator ------------------------------------------------------------------------

function renderOperator(view) {
  $('operator-connection').dataset.state = view.connection;
  $('operator-connection-text').textContent = view.connection_text;
  $('ledger').dataset.state = view.ledger_online ? 'online' : 'offline';
  $('ledger-text').textContent = view.ledger_text;
  const accounts = view.accounts.map((row) => {
    const tr = document.createElement('tr');
    for (const [cls, text] of [['', row.account_text], ['num', row.balance_text], ['num muted', row.version_text]]) {
      const td = document.createElement('td');
      td.className = cls;
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $('accounts').replaceChildren(...accounts);
  $('total').textContent = view.total_text;
  const feed = view.transfers.map((row) =>
    item('row transfer', [['title', row.route], ['amount', row.amount_text], ['memo', row.memo], ['time', row.time_text]]));
  $('feed').replaceChildren(...feed);
  $('feed-empty').hidden = feed.length > 0;
  const devices = view.devices.map((row) => {
    const li = item(`row device ${row.online ? 'online' : 'offline'}`, [
      ['title', row.name], ['account', row.account_text], ['time', row.seen_text]]);
    return li;
  });
  $('device-list').replaceChildren(...devices);
  $('devices-empty').hidden = devices.length > 0;
  $('devices-online').textContent = view.devices_online_text;
  setText('ignored', view.ignored_text);
  renderChannels(view.channels, invoke, shout);
}

// --- Wiring --------------------------------------------------------------------------

// A browser talks to the ledger that served the page, so it asks for no broker. Every
// screen starts hidden: the desktop opens at the sign-in card, and a browser waits for the
// gateway's `session` event, so a signed-in phone does not flash the card on each load.
$('broker-field').hidden = shell === 'web';
if (shell === 'desktop') showSignIn();
$('broker').value = localStorage.getItem('broker') ?? '127.0.0.1:1883';
$('account').value = localStorage.getItem('account') ?? '';
$('mode-customer').addEventListener('click', () => setMode('customer'));
$('mode-operator').addEventListener('click', () => setMode('operator'));
$('login-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', () => signOut('sign_out'));
$('operator-sign-out').addEventListener('click', () => signOut('operator_sign_out'));
$('transfer-form').addEventListener('submit', send);
$('transfer-form').addEventListener('input', () => invoke('edit_transfer', formValues()).catch(shout));
$('load-more').addEventListener('click', () => invoke('load_more_history').catch(shout));
await wireUtility({ show, showSignIn });
wireChannels(invoke, shout);
await listen('view', renderCustomer);
await listen('operator', renderOperator);
await listen('session', resume);
await listen('server-error', (text) => {
  if (nothingShown()) showSignIn();
  setText($('login-screen').hidden ? 'notice' : 'login-error', text);
});
await listen('transport', (link) => {
  // While the page cannot reach its session, the session's own status is stale.
  if (link.connected) return;
  if (nothingShown()) showSignIn();
  if (!$('login-screen').hidden) setText('login-error', link.text);
  for (const id of ['connection', 'operator-connection']) $(id).dataset.state = 'Offline';
  for (const id of ['connection-text', 'operator-connection-text']) $(id).textContent = link.text;
});
document.body.dataset.ready = 'true';
