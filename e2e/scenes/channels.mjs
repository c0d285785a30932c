// The operator's Channels view in the real desktop app: the broker's own record of its
// clients (MQ Explorer's telemetry channel status), live. Runs after desktop.mjs's
// operator step, in the same window, signed in as the operator.

import { join } from 'node:path';

import { assert, assertEqual, assertIncludes, start, stop } from '../processes.mjs';

const SEED_COLUMNS = 'Client Id | Channel status | Conn name | MQTT keep alive | MCA user ID | Messages sent | Messages received';

const rows = (driver) => driver.run(`
  return [...document.querySelectorAll('#channel-rows tr')].map((tr) => [...tr.cells].map((td) => td.textContent));`);
const count = (text) => Number(String(text).replace(/,/g, ''));

/** `bank(port, account, ...args)` runs the CLI as a device and returns its output. */
export async function channelsScene({ driver, bin, scratch, ledgerPort, screenshots, bank }) {
  console.log('7. the operator\'s Channels view: the broker\'s clients, their counts, and a device leaving');
  const watcher = start(join(bin, 'bank'), [
    '--port', String(ledgerPort), '--account', '00003', '--password', 'demo', '--device-name', 'Channels watch',
    '--storage-dir', join(scratch, 'channels-watch'), 'watch',
  ], {}, 'ignore');
  const overview = await screenshots.capture(driver, 'the operator overview');
  await driver.click('#operator-tab-channels');
  const titles = await driver.until('the column heads', () => driver.run(
    'return [...document.querySelectorAll("#channel-columns th")].map((th) => th.textContent)'), (heads) => heads.length > 7);
  assertEqual(titles.slice(0, 7).join(' | '), SEED_COLUMNS, 'the seed\'s columns, first');
  const column = (title) => titles.indexOf(title);
  const [status, connName, keepalive, user, sent] =
    ['Channel status', 'Conn name', 'MQTT keep alive', 'MCA user ID', 'Messages sent'].map(column);

  const watchRow = await driver.until('the bank watch device, connected', async () =>
    (await rows(driver)).find((row) => row[user] === '00003' && row[status] === 'Connected'));
  const watchId = watchRow[0];
  console.log(`   bank watch: ${watchRow.join(' | ')}`);
  assert(/^bank-00003-/.test(watchId), `the watch's client id: ${watchId}`);
  assert(/^127\.0\.0\.1:\d+$/.test(watchRow[connName]), `the watch's address: ${watchRow[connName]}`);
  assertEqual(watchRow[keepalive], '20 s', 'the watch\'s keepalive');
  const own = (await rows(driver)).find((row) => row[user] === 'operator' && row[status] === 'Connected');
  assert(own && /^operator-/.test(own[0]), `the desktop's own operator connection: ${JSON.stringify(await rows(driver))}`);
  assertEqual((await rows(driver)).find((row) => row[user] === '00001')?.[status], 'Disconnected', 'the desktop\'s signed-out customer session');
  const listeners = await driver.run('return document.getElementById("listener-rows").innerText');
  assertIncludes(listeners, 'MQTT over TCP', 'the listeners table');
  assertIncludes(listeners, String(ledgerPort), 'the listeners table');

  const sentBefore = count(watchRow[sent]);
  await bank(ledgerPort, '00004', 'transfer', '00003', '1.00', '--memo', 'Counted');
  const grown = await driver.until('the watch\'s messages sent to grow', async () =>
    (await rows(driver)).find((row) => row[0] === watchId && count(row[sent]) > sentBefore));
  console.log(`   messages sent to the watch: ${sentBefore} -> ${grown[sent]}`);
  await screenshots.take(driver, '7-channels', {
    changed: [{ selector: '#channels-view', from: [overview] }],
  });

  // Sorting is the core's: a click on a head sends its key, and the rows come back in order.
  await driver.click('#channel-columns th[data-key="messages_sent"]');
  const ascending = await driver.until('rows by messages sent', async () => {
    const sorted = await rows(driver);
    const numbers = sorted.map((row) => count(row[sent]));
    return numbers.every((n, i) => i === 0 || numbers[i - 1] <= n) && sorted.length > 2 && numbers;
  });
  console.log(`   sorted by messages sent: ${ascending.join(', ')}`);
  await driver.type('#channels-filter', '00003');
  await driver.until('only 00003\'s clients', async () => {
    const shown = await rows(driver);
    return shown.length > 0 && shown.every((row) => row[0].includes('00003') || row[user].includes('00003'));
  });

  stop(watcher);
  const gone = await driver.until('the bank watch device, disconnected', async () =>
    (await rows(driver)).find((row) => row[0] === watchId && row[status] === 'Disconnected'));
  console.log(`   after it exits: ${gone.join(' | ')}`);
  assertIncludes(gone[column('Connected since / disconnected at')], '(connection closed)', 'why the watch left');
}
