// End-to-end test of the banking page in phones' browsers: a real ledger-service serving
// it (its web gateway), two phones as two browser sessions, the `bank` CLI as a third
// device, and a desktop-sized browser as the operator. Plain W3C WebDriver, run once in
// Chromium (chromedriver, headless, mobile emulation: 390×844 at 3×, touch, an Android
// user agent) and once in WebKit (WebKitWebDriver with a bare WebKitGTK window of
// 390×844, e2e/webkit-window.py, and an iPhone user agent). Run under Xvfb with a session
// bus for WebKit (scripts/web-e2e.sh does).
//
// usage: node e2e/web.mjs <target/debug> [chromium] [webkit]

import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decode } from './png.mjs';
import { assert, assertEqual, assertIncludes, bank, freePort, listening, start, stop, stopAll } from './processes.mjs';
import { Screenshots } from './shots.mjs';
import { WebDriver } from './webdriver.mjs';

const bin = resolve(process.argv[2] ?? 'target/debug');
const wanted = process.argv.slice(3).length ? process.argv.slice(3) : ['chromium', 'webkit'];
const shotsDir = resolve(bin, '..', 'e2e-screenshots');
const scratch = mkdtempSync(join(tmpdir(), 'bank-web-e2e-'));
const here = dirname(fileURLToPath(import.meta.url));

const PHONE = { width: 390, height: 844 };
const DESK = { width: 1280, height: 860 };
const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';
const TOUCH_TARGET_MIN = 44;

/** What each engine's run reports at the end. */
const results = [];

// --- Engines -------------------------------------------------------------------------

/** Chromium: one chromedriver, a session per browser, each with a profile of its own. */
async function chromium() {
  const port = await freePort();
  start('chromedriver', [`--port=${port}`], {}, 'ignore');
  await listening(port, 'chromedriver');
  const args = ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-search-engine-choice-screen'];
  const url = `http://127.0.0.1:${port}`;
  return {
    id: 'chromium',
    name: 'Chromium',
    phoneName: 'Chrome on Android',
    phoneScale: 3,
    phone: () => WebDriver.start(url, {
      browserName: 'chrome',
      'goog:chromeOptions': {
        args,
        mobileEmulation: { deviceMetrics: { ...PHONE, pixelRatio: 3, touch: true }, userAgent: ANDROID_UA },
      },
    }),
    desk: () => WebDriver.start(url, {
      browserName: 'chrome',
      'goog:chromeOptions': { args: [...args, `--window-size=${DESK.width},${DESK.height}`] },
    }),
    close: () => {},
  };
}

/**
 * WebKit: WebKitWebDriver takes one session at a time, so one driver per browser. Each
 * starts e2e/webkit-window.py: MiniBrowser's toolbar keeps it 447 px wide or more.
 */
async function webkit() {
  const drivers = [];
  const open = async (size, userAgent) => {
    const port = await freePort();
    drivers.push(start('WebKitWebDriver', [`--port=${port}`], {}, 'ignore'));
    await listening(port, 'WebKitWebDriver');
    const args = ['--width', String(size.width), '--height', String(size.height)];
    if (userAgent) args.push(`--user-agent=${userAgent}`);
    return WebDriver.start(`http://127.0.0.1:${port}`, {
      'webkitgtk:browserOptions': { binary: join(here, 'webkit-window.py'), args },
    });
  };
  return {
    id: 'webkit',
    name: 'WebKit',
    phoneName: 'Safari on iPhone',
    phoneScale: 1, // WebKitGTK under Xvfb has one device pixel per CSS pixel
    phone: () => open(PHONE, IPHONE_UA),
    desk: () => open(DESK),
    close: () => drivers.forEach(stop),
  };
}

// --- Page helpers --------------------------------------------------------------------

const ready = (driver) => driver.until('the page to load', () => driver.run('return document.body.dataset.ready === "true"'));

const shown = (driver) => driver.run(`return ['login-screen', 'customer-screen', 'operator-screen']
  .filter((id) => !document.getElementById(id).hidden)`);

/**
 * Records, in the page, each text #balance shows from now on (`balanceSeen`) and when it
 * first shows `text` (`balanceShownAt`): the render itself, not the test's next poll.
 */
const watchBalance = (driver, text) => driver.run(`
  const balance = document.getElementById('balance');
  window.balanceSeen = [];
  window.balanceShownAt = undefined;
  window.balanceWatch?.disconnect();
  window.balanceWatch = new MutationObserver(() => {
    if (balance.textContent === window.balanceSeen.at(-1)) return;
    window.balanceSeen.push(balance.textContent);
    if (balance.textContent === arguments[0] && window.balanceShownAt === undefined) window.balanceShownAt = Date.now();
  });
  window.balanceWatch.observe(balance, { childList: true, characterData: true, subtree: true });`, text);

const balanceIs = (driver, text, what) => driver.until(what, () => driver.text('#balance'), (shownText) => shownText === text);

const historyRows = (driver) => driver.run(`
  return [...document.querySelectorAll('#history li')].map((li) =>
    [...li.querySelectorAll('span')].map((span) => span.textContent).join(' | '));`);

const rowsWith = async (driver, memo) => (await historyRows(driver)).filter((row) => row.includes(` | ${memo} | `));

/** Taps where the engine has a touch pointer; says so once where it has not, and clicks. */
async function tap(engine, driver, selector) {
  if (engine.noTouch) return driver.click(selector);
  if (await driver.tap(selector)) return;
  engine.noTouch = true;
  const note = `${engine.name}'s WebDriver has no touch pointer: its phones are clicked, not tapped`;
  engine.notes.push(note);
  console.log(`   NOTE: ${note}`);
  return driver.click(selector);
}

/** A phone's page: one column, nothing wider than the screen, targets a finger can hit. */
async function checkPhoneLayout(driver, order, targets) {
  const layout = await driver.run(`
    const box = (selector) => {
      const rect = document.querySelector(selector).getBoundingClientRect();
      return { selector, x: Math.round(rect.x), y: Math.round(rect.y), width: Math.round(rect.width), height: Math.round(rect.height) };
    };
    return {
      innerWidth, scrollWidth: document.documentElement.scrollWidth,
      order: arguments[0].map(box), targets: arguments[1].map(box),
      topbars: [...document.querySelectorAll('.topbar')].filter((bar) => bar.offsetParent)
        .map((bar) => ({ scroll: bar.scrollWidth, client: bar.clientWidth })),
    };`, order, targets);
  assert(layout.scrollWidth <= layout.innerWidth, `the page is ${layout.scrollWidth} px wide on a ${layout.innerWidth} px screen`);
  for (const bar of layout.topbars) assert(bar.scroll <= bar.client, `the top bar overflows: ${JSON.stringify(bar)}`);
  layout.order.forEach((box, i) => {
    const previous = layout.order[i - 1];
    assert(box.x === layout.order[0].x && box.width === layout.order[0].width, `not one column: ${JSON.stringify(layout.order)}`);
    assert(!previous || box.y >= previous.y + previous.height, `${box.selector} is not below ${previous?.selector}: ${JSON.stringify(layout.order)}`);
  });
  const small = layout.targets.filter((box) => box.height < TOUCH_TARGET_MIN);
  assert(!small.length, `touch targets under ${TOUCH_TARGET_MIN} px: ${JSON.stringify(small)}`);
  return `one column (${layout.order.map((box) => box.selector).join(', ')}), ${layout.innerWidth} px wide, targets ${Math.min(...layout.targets.map((box) => box.height))} px or taller`;
}

/** The manifest, its icons and the metas a phone reads to install the page. */
async function checkInstallable(driver) {
  return driver.runAsync(`
    const done = arguments[arguments.length - 1];
    (async () => {
      const link = document.querySelector('link[rel=manifest]');
      const response = await fetch(link.href);
      const manifest = await response.json();
      const size = (src) => new Promise((resolve) => {
        const image = new Image();
        image.onload = () => resolve(image.naturalWidth + 'x' + image.naturalHeight);
        image.onerror = () => resolve('failed');
        image.src = new URL(src, response.url).href;
      });
      const icons = await Promise.all(manifest.icons.map(async (icon) => ({ ...icon, loaded: await size(icon.src) })));
      const apple = document.querySelector('link[rel=apple-touch-icon]');
      const meta = (name) => document.querySelector('meta[name="' + name + '"]')?.content;
      return {
        type: response.headers.get('content-type'), manifest, icons,
        appleTouchIcon: apple && await size(apple.getAttribute('href')),
        themeColor: meta('theme-color'), capable: meta('mobile-web-app-capable'), appleCapable: meta('apple-mobile-web-app-capable'),
        viewport: meta('viewport'),
        inputmodes: ['account', 'payee', 'amount'].map((id) => document.getElementById(id).inputMode),
      };
    })().then(done, (error) => done({ error: String(error) }));`);
}

// --- The flow ------------------------------------------------------------------------

async function runEngine(makeEngine) {
  const engine = await makeEngine();
  engine.notes = [];
  const result = { engine: engine.name, latencies: [], notes: engine.notes };
  results.push(result);
  const screenshots = new Screenshots(shotsDir, `web-${engine.id}-`);
  const dir = join(scratch, engine.id);
  const [mqtt, http] = [await freePort(), await freePort()];
  // A ledger of its own: both engines start from the demo balances.
  const startLedger = () => start(join(bin, 'ledger-service'), [
    '--mqtt-listen', `127.0.0.1:${mqtt}`, '--http-listen', `127.0.0.1:${http}`, '--data-dir', join(dir, 'ledger'),
  ], { RUST_LOG: 'warn' }, 'ignore');
  let ledger = startLedger();
  const drivers = [];
  try {
    await listening(mqtt, 'the broker');
    await listening(http, 'the web gateway');
    const page = `http://127.0.0.1:${http}/`;
    console.log(`== ${engine.name}: ledger on 127.0.0.1:${mqtt}, page at ${page}`);
    const a = await engine.phone();
    drivers.push(a);
    const b = await engine.phone();
    drivers.push(b);
    const phones = [
      { driver: a, label: 'phone-a', account: '00001', balance: '$1,000.00' },
      { driver: b, label: 'phone-b', account: '00002', balance: '$726.14' },
    ];
    const last = {}; // each browser's last verified screenshot, by label

    console.log(`1. both phones sign in (${engine.phoneName}, ${PHONE.width}x${PHONE.height})`);
    for (const phone of phones) {
      const { driver, label } = phone;
      await driver.open(page);
      await ready(driver);
      await driver.until('the sign-in card', () => shown(driver), (screens) => screens.join() === 'login-screen');
      const size = await driver.run('return [innerWidth, innerHeight, devicePixelRatio]');
      assertEqual(size.slice(0, 2).join('x'), `${PHONE.width}x${PHONE.height}`, `${label}'s viewport`);
      // The first screen has no earlier one: the white card on the gradient, not a blank page.
      const signIn = await screenshots.take(driver, `1-${label}-sign-in`, {
        looks: [{ selector: '.login-card', near: [255, 255, 255], tolerance: 45 }, { selector: '#login-screen', far: [255, 255, 255], tolerance: 60 }],
      });
      assertEqual(await driver.run('return getComputedStyle(document.getElementById("broker-field")).display'), 'none', 'the hidden broker field');
      console.log(`   ${label} sign-in: ${await checkPhoneLayout(driver, ['.brand', '.tabs', '#account', '#password', '#sign-in'], ['.tab', '#account', '#password', '#sign-in'])}`);
      await driver.type('#account', phone.account);
      await driver.type('#password', 'demo');
      await tap(engine, driver, '#sign-in');
      await balanceIs(driver, phone.balance, `${label}'s opening balance`);
      await driver.until(`${label} online`, () => driver.text('#connection-text'), (text) => text === 'Online');
      assertEqual((await driver.text('#account-label')), `Account #${phone.account}`, `${label}'s account`);
      last[label] = await screenshots.take(driver, `1-${label}-signed-in`, {
        changed: [{ selector: '#transfer-form', from: [signIn] }, { selector: '#customer-screen .topbar', from: [signIn] }],
      });
    }
    console.log(`   layout: ${await checkPhoneLayout(a,
      ['#customer-screen .balance-card', '#customer-screen .stack .card:last-child', '#customer-screen .history-card'],
      ['#sign-out', '#payee', '#amount', '#memo', '#send'])}`);
    const install = await checkInstallable(a);
    assert(!install.error, `the manifest: ${install.error}`);
    assertEqual(install.type, 'application/manifest+json', 'the manifest\'s content type');
    for (const [key, value] of Object.entries({ name: 'MQTT Banking', short_name: 'Banking', start_url: '/', scope: '/', display: 'standalone' })) {
      assertEqual(install.manifest[key], value, `the manifest's ${key}`);
    }
    assertEqual(install.themeColor, install.manifest.theme_color, 'the theme-color meta');
    for (const size of ['192x192', '512x512']) {
      for (const purpose of ['any', 'maskable']) {
        const icon = install.icons.find((entry) => entry.sizes === size && entry.purpose.split(' ').includes(purpose));
        assertEqual(icon?.loaded, size, `the ${purpose} ${size} icon`);
      }
    }
    assertEqual(install.appleTouchIcon, '180x180', 'the apple-touch-icon');
    assertEqual(`${install.capable} ${install.appleCapable}`, 'yes yes', 'the app-capable metas');
    assertIncludes(install.viewport, 'viewport-fit=cover', 'the viewport meta');
    assertEqual(install.inputmodes.join(), 'numeric,numeric,decimal', 'the account, payee and amount inputmodes');
    console.log(`   installable: ${install.manifest.name}, ${install.icons.map((icon) => `${icon.loaded} ${icon.purpose}`).join(', ')}, apple-touch-icon ${install.appleTouchIcon}`);

    console.log('2. phone A sends $5.00 to 00002; phone B updates with no reload');
    await a.type('#payee', '00002');
    await a.type('#amount', '5.00');
    await a.type('#memo', 'Coffee');
    await a.until('Send enabled', () => a.run('return !document.getElementById("send").disabled'));
    await b.run('window.sameDocument = true');
    await watchBalance(b, '$731.14');
    await a.run(`document.getElementById('send').addEventListener('click', () => window.sentAt = Date.now(), { capture: true, once: true })`);
    await tap(engine, a, '#send');
    await balanceIs(b, '$731.14', 'phone B\'s new balance');
    const latency = await b.run('return window.balanceShownAt') - await a.run('return window.sentAt');
    console.log(`   LATENCY Send tap on phone A -> new balance on phone B: ${latency} ms`);
    result.latencies.push(`Send tap on phone A -> new balance on phone B: ${latency} ms`);
    assertEqual(await b.run('return window.sameDocument'), true, 'phone B was not reloaded');
    const received = await b.until('phone B\'s history row', async () => (await rowsWith(b, 'Coffee'))[0]);
    assert(received.startsWith('From #00001 | +$5.00 | Coffee'), `phone B's row: ${received}`);
    await balanceIs(a, '$995.00', 'phone A\'s new balance');
    const sent = await a.until('phone A\'s done row', async () => (await rowsWith(a, 'Coffee')).find((row) => row.includes('Done')));
    assert(sent.startsWith('To #00002 | -$5.00 | Coffee'), `phone A's row: ${sent}`);
    last['phone-a'] = await screenshots.take(a, '2-phone-a-sent', {
      changed: [{ selector: '#balance', from: [last['phone-a']] }, { selector: '#history li', from: [last['phone-a']] }],
    });
    last['phone-b'] = await screenshots.take(b, '2-phone-b-received', {
      changed: [{ selector: '#balance', from: [last['phone-b']] }, { selector: '#history li', from: [last['phone-b']] }],
    });

    console.log('3. a bad amount shows the core\'s error, and Send stays disabled');
    await a.type('#payee', '00002');
    await a.type('#amount', '12.345');
    // Each keystroke is an edit, so "12." may show its own error first: wait for the last.
    const error = await a.until('the amount error', () => a.run(
      'const e = document.getElementById("amount-error"); return !e.hidden && e.textContent'),
    (text) => String(text).includes('at most 2 digits after the decimal point'));
    console.log(`   amount error: ${error}`);
    assertIncludes(error, 'at most 2 digits after the decimal point', 'the amount error');
    assertEqual(await a.run('return document.getElementById("send").disabled'), true, 'Send disabled');
    last['phone-a'] = await screenshots.take(a, '3-phone-a-bad-amount', {
      changed: [{ selector: '#amount-error', from: [last['phone-a']] }],
    });

    console.log('4. phone A sends and reloads at once; it comes back signed in, and the money moves once');
    const memo = `Sent, then reloaded (${engine.id})`;
    await a.type('#amount', '7.25');
    await a.type('#memo', memo);
    await a.until('Send enabled', () => a.run('return !document.getElementById("send").disabled'));
    await watchBalance(b, '$738.39');
    await a.run('window.sameDocument = true');
    // The click queues the transfer on the socket; the reload tears the page down at once.
    await a.run(`document.getElementById('send').click(); location.reload();`);
    await a.until('the reloaded page', () => a.run('return window.sameDocument === undefined && document.body.dataset.ready === "true"'));
    const screens = await a.until('phone A\'s screen after the reload', () => shown(a), (list) => list.length === 1);
    assertEqual(screens.join(), 'customer-screen', 'phone A after the reload: signed in, no password asked');
    await balanceIs(a, '$987.75', 'phone A\'s balance after the reload');
    await balanceIs(b, '$738.39', 'phone B\'s balance after phone A\'s reload');
    await a.until('phone A\'s done row', async () => (await rowsWith(a, memo)).some((row) => row.includes('Done')));
    // Time for a duplicate to land, were there one.
    await new Promise((done) => setTimeout(done, 1500));
    assertEqual(await a.text('#balance'), '$987.75', 'phone A\'s balance, once');
    assertEqual(await b.text('#balance'), '$738.39', 'phone B\'s balance, once');
    assertEqual(JSON.stringify(await b.run('return window.balanceSeen')), JSON.stringify(['$738.39']), 'phone B\'s balances since the send');
    const rowsA = await rowsWith(a, memo);
    const rowsB = await rowsWith(b, memo);
    assertEqual(rowsA.length, 1, `phone A's rows for the transfer (${JSON.stringify(rowsA)})`);
    assertEqual(rowsB.length, 1, `phone B's rows for the transfer (${JSON.stringify(rowsB)})`);
    assert(rowsA[0].startsWith(`To #00002 | -$7.25 | ${memo}`) && rowsA[0].includes('Done'), `phone A's row: ${rowsA[0]}`);
    assert(rowsB[0].startsWith(`From #00001 | +$7.25 | ${memo}`), `phone B's row: ${rowsB[0]}`);
    console.log(`   phone A: ${rowsA[0]}`);
    console.log(`   phone B: ${rowsB[0]}`);
    last['phone-a'] = await screenshots.take(a, '4-phone-a-after-reload', {
      changed: [{ selector: '#balance', from: [last['phone-a']] }, { selector: '#amount', from: [last['phone-a']] }],
    });
    last['phone-b'] = await screenshots.take(b, '4-phone-b-once', {
      changed: [{ selector: '#balance', from: [last['phone-b']] }, { selector: '#history li', from: [last['phone-b']] }],
    });

    console.log('5. bank (00003) pays 00001; phone A updates live');
    await watchBalance(a, '$1,053.61');
    const started = Date.now();
    console.log(`   bank: ${await bank(bin, dir, mqtt, '00003', 'transfer', '00001', '65.86', '--memo', 'From the CLI')}`);
    const exited = Date.now();
    await balanceIs(a, '$1,053.61', 'phone A\'s live balance');
    const cliLatency = await a.run('return window.balanceShownAt') - started;
    console.log(`   LATENCY bank transfer started -> phone A shows it: ${cliLatency} ms (the bank process took ${exited - started} ms to start, sign in, send and hear back)`);
    result.latencies.push(`bank transfer started -> phone A shows it: ${cliLatency} ms`);
    const fromCli = await a.until('the row from the CLI', async () => (await rowsWith(a, 'From the CLI'))[0]);
    assert(fromCli.startsWith('From #00003 | +$65.86 | From the CLI'), `phone A's row: ${fromCli}`);
    last['phone-a'] = await screenshots.take(a, '5-phone-a-from-cli', {
      changed: [{ selector: '#balance', from: [last['phone-a']] }, { selector: '#history li', from: [last['phone-a']] }],
    });

    console.log('6. the operator, in a desktop-sized browser, sees both phones online');
    const operator = await engine.desk();
    drivers.push(operator);
    await operator.open(page);
    await ready(operator);
    await operator.until('the sign-in card', () => shown(operator), (list) => list.join() === 'login-screen');
    await operator.click('#mode-operator');
    await operator.type('#password', 'operator');
    // What a stale frame would show: the sign-in card, as it is before the click.
    const operatorSignIn = await screenshots.capture(operator, 'the operator sign-in card');
    await operator.click('#sign-in');
    await operator.until('five accounts', () => operator.run('return document.querySelectorAll("#accounts tr").length'), (n) => n === 5);
    assertEqual(await operator.text('#total'), '$4,576.14', 'the total of all balances');
    const devices = await operator.until('both phones online', async () => {
      const rows = await operator.run(`return [...document.querySelectorAll('#device-list li')].map((li) => ({
        online: li.classList.contains('online'), name: li.querySelector('.title')?.textContent, account: li.querySelector('.account')?.textContent }))`);
      const online = rows.filter((row) => row.online).map((row) => `${row.name} ${row.account}`).sort();
      return online.join() === `${engine.phoneName} #00001,${engine.phoneName} #00002` && rows;
    });
    console.log(`   devices: ${devices.map((row) => `${row.name} ${row.account} ${row.online ? 'online' : 'offline'}`).join('; ')}`);
    const feed = await operator.run('return [...document.querySelectorAll("#feed li")].map((li) => li.innerText.replace(/\\s+/g, " "))');
    assertEqual(feed.filter((row) => row.includes(memo)).length, 1, `the ledger's transfers with the reload's memo (${JSON.stringify(feed)})`);
    assertEqual(feed.length, 3, `the ledger's transfers (${JSON.stringify(feed)})`);
    // The desktop layout stays two columns: the feed beside the accounts.
    const columns = await operator.run(`const r = (s) => document.querySelector(s).getBoundingClientRect();
      return { accounts: r('#operator-screen .stack').right, feed: r('#operator-screen .history-card').left, top: r('#operator-screen .history-card').top - r('#operator-screen .stack').top };`);
    assert(columns.feed > columns.accounts && columns.top === 0, `the operator's desktop layout: ${JSON.stringify(columns)}`);
    await screenshots.take(operator, '6-operator', {
      changed: [{ selector: '#accounts', from: [operatorSignIn] }, { selector: '#device-list', from: [operatorSignIn] }, { selector: '#feed', from: [operatorSignIn] }],
    });

    console.log('7. on a phone the operator screen stacks too');
    await tap(engine, b, '#sign-out');
    await b.until('phone B\'s sign-in card', () => shown(b), (list) => list.join() === 'login-screen');
    await tap(engine, b, '#mode-operator');
    await b.type('#password', 'operator');
    const phoneSignIn = await screenshots.capture(b, 'phone B\'s operator sign-in card');
    await tap(engine, b, '#sign-in');
    await b.until('five accounts on phone B', () => b.run('return document.querySelectorAll("#accounts tr").length'), (n) => n === 5);
    await b.run('window.scrollTo(0, 0)');
    console.log(`   layout: ${await checkPhoneLayout(b,
      ['#operator-screen .stack .card:first-child', '#operator-screen .stack .card:last-child', '#operator-screen .history-card'],
      ['#operator-sign-out'])}`);
    await screenshots.take(b, '7-phone-b-operator', {
      changed: [{ selector: '#accounts', from: [phoneSignIn, last['phone-b']] }],
    });
    console.log('8. the server restarts; a Send tapped while it is down goes through once, and phone A is still signed in');
    await a.type('#payee', '00002');
    await a.type('#amount', '1.00');
    await a.type('#memo', 'While the server restarted');
    await a.until('Send enabled', () => a.run('return !document.getElementById("send").disabled'));
    await a.run('window.sameDocument = true');
    await watchBalance(a, '$1,052.61');
    stop(ledger);
    const lost = await a.until('phone A to see the server gone', () => a.text('#connection-text'), (text) => text.includes('Reconnecting'));
    console.log(`   phone A: ${lost}`);
    await tap(engine, a, '#send');
    ledger = startLedger();
    await listening(http, 'the restarted web gateway');
    await balanceIs(a, '$1,052.61', 'phone A\'s balance after the restart');
    await a.until('phone A online again', () => a.text('#connection-text'), (text) => text === 'Online');
    await new Promise((done) => setTimeout(done, 1000));
    assertEqual(await a.run('return window.sameDocument'), true, 'phone A was not reloaded');
    // The resumed session shows the balance it last knew, then the one after the transfer.
    const seen = await a.run('return window.balanceSeen');
    console.log(`   phone A's balance since the send: ${seen.map((text) => text || '(none)').join(' -> ')}`);
    assertEqual(JSON.stringify(seen.filter((text) => text.startsWith('$') && text !== '$1,053.61')), JSON.stringify(['$1,052.61']), 'phone A\'s balances since the send');
    const restartRows = await rowsWith(a, 'While the server restarted');
    assert(restartRows.length === 1 && restartRows[0].includes('Done'), `phone A's rows for the transfer: ${JSON.stringify(restartRows)}`);
    console.log(`   phone A: ${restartRows[0]}`);
    last['phone-a'] = await screenshots.take(a, '8-phone-a-after-restart', {
      changed: [{ selector: '#balance', from: [last['phone-a']] }, { selector: '#history li', from: [last['phone-a']] }],
    });
    const image = decode(last['phone-a'].png);
    assertEqual(`${image.width}x${image.height}`, `${PHONE.width * engine.phoneScale}x${PHONE.height * engine.phoneScale}`, 'a phone screenshot\'s size');
  } finally {
    for (const driver of drivers) await driver.quit().catch(() => {});
    engine.close();
    stop(ledger);
  }
}

// --- Main ----------------------------------------------------------------------------

const engines = { chromium, webkit };
let failed = false;
mkdirSync(shotsDir, { recursive: true });
try {
  for (const id of wanted) {
    if (!engines[id]) throw new Error(`unknown engine ${id}; say chromium or webkit`);
    try {
      await runEngine(engines[id]);
      console.log(`== ${id}: passed`);
    } catch (error) {
      failed = true;
      console.error(`== ${id}: FAILED: ${error.stack ?? error}`);
    }
  }
} finally {
  stopAll();
  rmSync(scratch, { recursive: true, force: true });
}
console.log('== summary');
for (const result of results) {
  console.log(`   ${result.engine}: ${result.latencies.join('; ') || 'no latency measured'}`);
  for (const note of result.notes) console.log(`   ${result.engine}: NOTE: ${note}`);
}
const missing = wanted.filter((id) => !results.some((result) => result.engine.toLowerCase() === id));
if (missing.length) console.log(`   NOT RUN: ${missing.join(', ')}`);
if (failed || missing.length) {
  console.error('web e2e FAILED');
  process.exitCode = 1;
} else {
  console.log(`web e2e passed in ${wanted.join(' and ')}; screenshots in ${shotsDir}/web-*.png`);
}
