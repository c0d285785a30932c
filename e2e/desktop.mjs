// End-to-end test of the desktop app in a real window: a real ledger-service, the real
// app driven over W3C WebDriver by tauri-driver and WebKitWebDriver, and the `bank` CLI
// as a second device. Run it under Xvfb (scripts/desktop-e2e.sh does).
//
// usage: node e2e/desktop.mjs <target/debug>

import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { assertEqual, assertIncludes, bank as runBank, freePort, listening, start, stopAll } from './processes.mjs';
import { utilityScene } from './scenes/utility.mjs';
import { channelsScene } from './scenes/channels.mjs';
import { Screenshots } from './shots.mjs';
import { WebDriver } from './webdriver.mjs';

const bin = resolve(process.argv[2] ?? 'target/debug');
const shots = resolve(bin, '..', 'e2e-screenshots');
const scratch = mkdtempSync(join(tmpdir(), 'bank-e2e-'));
const screenshots = new Screenshots(shots, 'desktop-');
const bank = (port, account, ...args) => runBank(bin, scratch, port, account, ...args);

/** Records, in the page, when #balance first shows `text`: the render itself, not the next poll. */
const markBalance = (driver, text) => driver.run(`
  const balance = document.getElementById('balance');
  new MutationObserver((_, observer) => {
    if (balance.textContent !== arguments[0]) return;
    window.balanceShownAt = Date.now();
    observer.disconnect();
  }).observe(balance, { childList: true, characterData: true, subtree: true });`, text);

const historyRows = (driver) => driver.run(`
  return [...document.querySelectorAll('#history li')].map((li) =>
    [...li.querySelectorAll('span')].map((span) => span.textContent).join(' | '));`);

async function main() {
  mkdirSync(shots, { recursive: true });
  const ledgerPort = await freePort();
  start(join(bin, 'ledger-service'), ['--mqtt-listen', `127.0.0.1:${ledgerPort}`, '--data-dir', join(scratch, 'ledger')]);
  await listening(ledgerPort, 'ledger-service');

  const [driverPort, nativePort] = [await freePort(), await freePort()];
  start('tauri-driver', ['--port', String(driverPort), '--native-port', String(nativePort)], {
    BANK_DESKTOP_DATA_DIR: join(scratch, 'desktop'),
  });
  await listening(driverPort, 'tauri-driver');
  const driver = await WebDriver.start(`http://127.0.0.1:${driverPort}`, {
    'tauri:options': { application: join(bin, 'bank-desktop') },
  });
  try {
    await driver.until('the window to load', () => driver.run('return document.body.dataset.ready === "true"'));
    await driver.run('localStorage.clear()');
    // The first screen has no earlier one: the white card on the gradient, not a blank window.
    const signInShot = await screenshots.take(driver, '0-sign-in', {
      looks: [{ selector: '.login-card', near: [255, 255, 255], tolerance: 45 }, { selector: '#login-screen', far: [255, 255, 255], tolerance: 60 }],
    });

    console.log('1. sign in as 00001, after a typo in the broker address');
    await driver.type('#broker', `127.0.0.1:${ledgerPort}x`);
    await driver.type('#account', '00001');
    await driver.type('#password', 'demo');
    await driver.click('#sign-in');
    const loginError = await driver.until('the address error', () => driver.text('#login-error'));
    assertIncludes(loginError, 'is not a port', 'the login error');
    const errorShot = await screenshots.take(driver, '1-sign-in-error', { changed: [{ selector: '#login-error', from: [signInShot] }] });
    await driver.type('#broker', `127.0.0.1:${ledgerPort}`);
    await driver.type('#password', 'demo');
    await driver.click('#sign-in');
    await driver.until('the opening balance', () => driver.text('#balance'), (text) => text === '$1,000.00');
    await driver.until('online', () => driver.text('#connection-text'), (text) => text === 'Online');
    const signedInShot = await screenshots.take(driver, '2-signed-in', {
      changed: [{ selector: '#transfer-form', from: [errorShot] }, { selector: '#customer-screen .topbar', from: [errorShot] }],
    });

    console.log('3. send $25.00 to 00002 from the desktop');
    await driver.type('#payee', '00002');
    await driver.type('#amount', '25.00');
    await driver.type('#memo', 'Desktop lunch');
    await driver.until('Send enabled', () => driver.run('return !document.getElementById("send").disabled'));
    await markBalance(driver, '$975.00');
    await driver.run(`document.getElementById('send').addEventListener('click', () => window.sentAt = Date.now(), { capture: true })`);
    await driver.click('#send');
    await driver.until('the new balance', () => driver.text('#balance'), (text) => text === '$975.00');
    const roundTripMs = await driver.run('return window.balanceShownAt - window.sentAt');
    console.log(`   LATENCY Send click -> new balance on screen: ${roundTripMs} ms`);
    const sent = await driver.until('the done row', async () => {
      const rows = await historyRows(driver);
      return rows[0]?.includes('Done') && rows[0];
    });
    // Every part of the row, the local time (`Nov 25, 01:23`) by its shape.
    const time = sent.split(' | ')[3];
    if (!/^[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2}$/.test(time)) throw new Error(`the sent row's time: ${sent}`);
    assertEqual(sent, `To #00002 | -$25.00 | Desktop lunch | ${time} | Done | Balance $975.00`, 'the sent row');
    const sentShot = await screenshots.take(driver, '3-sent', {
      changed: [{ selector: '#balance', from: [signedInShot] }, { selector: '#history li', from: [signedInShot] }],
    });

    console.log('4. 00003 pays 00001 from the bank CLI; the desktop updates without a click');
    await markBalance(driver, '$1,040.86');
    const started = Date.now();
    console.log(`   bank: ${await bank(ledgerPort, '00003', 'transfer', '00001', '65.86', '--memo', 'From the CLI')}`);
    const exited = Date.now();
    await driver.until('the live balance', () => driver.text('#balance'), (text) => text === '$1,040.86');
    const shownAt = await driver.run('return window.balanceShownAt');
    console.log(`   LATENCY bank transfer started -> desktop shows it: ${shownAt - started} ms (the bank process took ${exited - started} ms to start, sign in, send and hear back)`);
    const received = await driver.until('the received row', async () => (await historyRows(driver)).find((row) => row.startsWith('From #00003')));
    assertIncludes(received, '+$65.86', 'the received row');
    assertIncludes(received, 'From the CLI', 'the received row');
    const receivedShot = await screenshots.take(driver, '4-received-live', {
      changed: [{ selector: '#balance', from: [sentShot] }, { selector: '#history li', from: [sentShot] }],
    });

    console.log('5. a bad amount shows the core\'s error and cannot be sent');
    await driver.type('#payee', '00002');
    await driver.type('#amount', '12.345');
    // Each keystroke is an edit, so "12." may show its own error first: wait for the last.
    const error = await driver.until('the amount error', () => driver.run(
      'const e = document.getElementById("amount-error"); return !e.hidden && e.textContent'),
    (text) => String(text).includes('at most 2 digits after the decimal point'));
    console.log(`   amount error: ${error}`);
    assertIncludes(error, 'at most 2 digits after the decimal point', 'the amount error');
    assertEqual(await driver.run('return document.getElementById("send").disabled'), true, 'send disabled');
    const badAmountShot = await screenshots.take(driver, '5-bad-amount', {
      changed: [{ selector: '#amount-error', from: [receivedShot] }],
    });

    console.log('6. the operator sees every account, the transfers and the devices');
    const watch = ['--port', String(ledgerPort), '--account', '00002', '--password', 'demo', '--device-name', 'Pixel 8 (bank watch)'];
    start(join(bin, 'bank'), [...watch, '--storage-dir', join(scratch, 'watch'), 'watch'], {}, 'ignore');
    await driver.click('#sign-out');
    await driver.click('#mode-operator');
    await driver.type('#password', 'operator');
    // What a stale frame would show: the sign-in card, as it is before the click.
    const operatorSignIn = await screenshots.capture(driver, 'the operator sign-in card');
    await driver.click('#sign-in');
    const accounts = await driver.until('five accounts', async () => {
      const rows = await driver.run('return [...document.querySelectorAll("#accounts tr")].map((tr) => tr.innerText)');
      return rows.length === 5 && rows;
    });
    console.log(`   accounts: ${accounts.map((row) => row.replace(/\s+/g, ' ')).join('; ')}`);
    assertEqual(await driver.text('#total'), '$4,576.14', 'the total of all balances');
    await bank(ledgerPort, '00004', 'transfer', '00005', '10.00', '--memo', 'While watched');
    const feed = await driver.until('the live feed', async () => {
      const rows = await driver.run('return [...document.querySelectorAll("#feed li")].map((li) => li.innerText.replace(/\\s+/g, " "))');
      return rows.length === 3 && rows;
    });
    console.log(`   feed: ${feed.join('; ')}`);
    assertIncludes(feed[0], '#00004 → #00005', 'the newest transfer');
    assertIncludes(feed[1], '#00003 → #00001', 'the CLI transfer');
    assertIncludes(feed[2], '#00001 → #00002', 'the desktop transfer');
    await driver.until('00005 balance', async () => (await driver.run('return document.getElementById("accounts").innerText')).includes('$10.00'));
    assertEqual(await driver.text('#total'), '$4,576.14', 'the total after the live transfer');
    const devices = await driver.until('the watching device online', () =>
      driver.run('return document.getElementById("device-list").innerText'), (text) => text.includes('Online since'));
    assertIncludes(devices, 'Pixel 8 (bank watch)', 'the watching device');
    assertIncludes(devices, 'Desktop', 'the signed-out desktop in the device list');
    assertIncludes(devices, 'Last seen', 'the signed-out desktop');
    assertIncludes(await driver.text('#ledger-text'), 'Ledger online', 'the ledger status');
    // The accounts table stands where the sign-in card's gradient and the customer's
    // balance card were; the feed where the history was.
    await screenshots.take(driver, '6-operator', {
      changed: [
        { selector: '#accounts', from: [operatorSignIn, badAmountShot] },
        { selector: '#feed', from: [operatorSignIn, badAmountShot] },
      ],
    });

    await channelsScene({ driver, bin, scratch, ledgerPort, screenshots, bank });
    await driver.click('#operator-sign-out');
    await utilityScene({ driver, screenshots, ledgerPort, exportsDir: join(scratch, 'desktop', 'exports') });
  } catch (error) {
    // What the window showed when it failed, for whoever reads the CI log.
    writeFileSync(join(shots, 'desktop-failure.png'), await driver.screenshot().catch(() => Buffer.alloc(0)));
    throw error;
  } finally {
    await driver.quit().catch(() => {});
  }
}

try {
  await main();
  console.log(`desktop e2e passed; screenshots in ${shots}`);
} catch (error) {
  console.error(`desktop e2e FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  stopAll();
  rmSync(scratch, { recursive: true, force: true });
}
