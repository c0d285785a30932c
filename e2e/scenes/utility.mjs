// The desktop's MQTT client utility against the real ledger-service: it connects as
// 00001, sees its retained balance, sends a transfer request typed by hand and sees the
// result, is denied another account's balance, views a message with its diff, and
// exports the history. Called by e2e/desktop.mjs from the sign-in card.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { assert, assertEqual, assertIncludes } from '../processes.mjs';

/** The history table as `Event | Topic | Message | QoS | Retained | Time` lines. */
const historyRows = (driver) => driver.run(`
  return [...document.querySelectorAll('#u-history tr')].map((tr) =>
    [...tr.cells].map((td) => td.textContent).join(' | '));`);

const findRow = (driver, what, match) => driver.until(what, async () => (await historyRows(driver)).find(match));

/** Clicks the newest history row with this Event and Topic, to view its message. */
const clickRow = (driver, [event, topic]) => driver.run(`
  const rows = [...document.querySelectorAll('#u-history tr')].filter((tr) =>
    tr.cells[0].textContent === arguments[0] && tr.cells[1].textContent === arguments[1]);
  rows.at(-1).click();`, event, topic);

export async function utilityScene({ driver, screenshots, ledgerPort, exportsDir }) {
  console.log('8. the MQTT client utility connects as 00001');
  const signInCard = await screenshots.capture(driver, 'the sign-in card before the utility');
  await driver.click('#mode-utility');
  await driver.until('the utility screen', () => driver.text('#u-connection-text'), (text) => text === 'Disconnected');
  const clientId = await driver.run('return document.getElementById("u-client-id").value');
  assert(/^utility-[0-9a-f]{8}$/.test(clientId), `a generated client id, not ${clientId}`);
  await driver.type('#u-host', '127.0.0.1');
  await driver.type('#u-port', String(ledgerPort));
  await driver.click('#u-options summary');
  await driver.type('#u-username', '00001');
  await driver.type('#u-password', 'demo');
  await driver.click('#u-options summary');
  await driver.click('#u-connect');
  await driver.until('online', () => driver.text('#u-connection-text'), (text) => text === 'Online');
  const connected = await findRow(driver, 'the Connected row', (row) => row.startsWith('Connected'));
  assertIncludes(connected, `as ${clientId} (MQTT 3.1.1, clean session)`, 'the Connected row');

  console.log('   subscribes to its balance: the retained one arrives with Retained = yes');
  const subscribe = async (filter) => {
    await driver.type('#u-sub-topic', filter);
    await driver.click('#u-subscribe');
  };
  await subscribe('bank/balanceUpdate/00001');
  const balance = await findRow(driver, 'the retained balance', (row) => row.startsWith('Received | bank/balanceUpdate/00001'));
  console.log(`   ${balance}`);
  const [, , message, qos, retained] = balance.split(' | ');
  assertEqual(`${qos} ${retained}`, '1 yes', 'the retained balance row\'s QoS and Retained');
  assertIncludes(message, '"account":"00001"', 'the balance message');
  await subscribe('bank/transfer/result/00001');
  await findRow(driver, 'the result subscription', (row) => row.startsWith('Subscribed | bank/transfer/result/00001 | Granted QoS 1'));

  console.log('   publishes a transfer request by hand and sees the result');
  const id = randomUUID();
  await driver.type('#u-pub-topic', 'bank/transfer/request/00001');
  await driver.type('#u-pub-message', JSON.stringify({ id, to: '00002', amount: '1.50', memo: 'by hand' }));
  await driver.click('#u-publish');
  await findRow(driver, 'the Published row', (row) => row.startsWith('Published | bank/transfer/request/00001') && row.includes(id));
  const result = await findRow(driver, 'the transfer result', (row) => row.startsWith('Received | bank/transfer/result/00001'));
  console.log(`   ${result}`);
  assertIncludes(result, '"status":"accepted"', 'the transfer result');
  assertIncludes(result, id, 'the transfer result');

  console.log('   another account\'s balance is denied');
  await subscribe('bank/balanceUpdate/00002');
  const denied = await findRow(driver, 'the denied subscription', (row) => row.startsWith('Error | bank/balanceUpdate/00002'));
  assertIncludes(denied, "Subscription denied: the broker's SUBACK says Failure (0x80).", 'the denied row');
  const subscriptions = await driver.run('return document.getElementById("u-subscriptions").innerText');
  assertIncludes(subscriptions.replace(/\s+/g, ' '), 'bank/balanceUpdate/00002 QoS 1 requested Denied by the broker', 'the subscriptions list');

  console.log('   views the new balance with its diff against the retained one');
  const isBalance = (row) => row.startsWith('Received | bank/balanceUpdate/00001 | ');
  await driver.until('the live balance', async () => (await historyRows(driver)).filter(isBalance).length === 2);
  await clickRow(driver, ['Received', 'bank/balanceUpdate/00001']);
  const diff = await driver.until('the diff', () => driver.run(
    'const d = document.getElementById("u-message-diff"); return !d.hidden && d.innerText'));
  assertIncludes(await driver.text('#u-message-format'), 'JSON, pretty-printed', 'the message format');
  assert(/^- .*"balance"/m.test(diff) && /^\+ .*"balance"/m.test(diff), `a diff of the balance: ${diff}`);

  console.log('   exports the history as CSV');
  await driver.click('#u-export-csv');
  const notice = await driver.until('the export notice', () => driver.text('#u-notice'), (text) => text.startsWith('Exported'));
  const path = notice.replace(/^Exported \d+ rows to /, '');
  assert(path.startsWith(exportsDir), `the export went to ${path}, not under ${exportsDir}`);
  const csv = readFileSync(path, 'utf8');
  assert(csv.startsWith('Event,Topic,Message,QoS,Retained,Time\n'), `the CSV header: ${csv.slice(0, 80)}`);
  assertIncludes(csv, `Published,bank/transfer/request/00001,"{""id"":""${id}""`, 'the CSV');
  console.log(`   ${notice}`);

  // The cards stand where the sign-in card's gradient was.
  const utilityShot = await screenshots.take(driver, '8-utility', {
    changed: [
      { selector: '.u-connection-card', from: [signInCard] },
      { selector: '.u-history-card', from: [signInCard] },
    ],
    looks: [{ selector: '.u-subscription-card', near: [255, 255, 255], tolerance: 45 }],
  });
  // The message with its diff, scrolled into view: below the fold in the shot before.
  await screenshots.take(driver, '9-utility-message', {
    show: '#u-message',
    changed: [{ selector: '#u-message', from: [utilityShot] }],
    looks: [{ selector: '#u-message', near: [255, 255, 255], tolerance: 45 }],
  });
}
