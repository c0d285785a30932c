// Screenshots that really show a step. A WebDriver screenshot taken right after the DOM
// changed may still hold the frame before it (the desktop test once saved the sign-in card
// as its operator screen while every DOM check passed). So each screenshot waits for two
// animation frames, then is checked where its step differs from the screens before it: the
// region of each element the step changed must differ from the same region of the earlier
// screenshots that showed something else there. A stale frame is taken again, a few times.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { colourDistance, contentStats, decode, pixelRect, regionDifference, regionDiffers, regionMean } from './png.mjs';

const TRIES = 6;
const RETRY_MS = 250;

export class Screenshots {
  /** Files go to `dir` as `<prefix><name>.png`. */
  constructor(dir, prefix = '') {
    this.dir = dir;
    this.prefix = prefix;
  }

  /**
   * Saves a screenshot of `driver` that shows the step `name`, and returns it as a
   * reference for later steps: `{name, png, image}`.
   *
   * - `changed`: `[{selector, from: [shot, …]}]`: the element's region must differ from
   *   each earlier shot (a reference from `capture`, or a saved one).
   * - `looks`: `[{selector, near | far: [r, g, b], tolerance}]`: the region's mean colour
   *   is within (or beyond) `tolerance` of a colour; for a first screen with no reference.
   * - `show`: scrolled into view first, for screens taller than the viewport.
   */
  async take(driver, name, { changed = [], looks = [], show } = {}) {
    const file = `${this.prefix}${name}.png`;
    if (show) await driver.run('arguments[0] && document.querySelector(arguments[0]).scrollIntoView({ block: "nearest" })', show);
    let problems = [];
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const shot = await this.capture(driver, file);
      const { problems: found, notes } = await check(driver, shot, changed, looks);
      problems = found;
      if (!problems.length) {
        writeFileSync(join(this.dir, file), shot.png);
        const stats = contentStats(shot.image);
        const retried = attempt > 1 ? `, frame ${attempt}` : '';
        console.log(`   screenshot ${file}: ${stats.width}x${stats.height}, ${stats.colours} colours${retried}; ${notes.join('; ')}`);
        return shot;
      }
      console.log(`   screenshot ${file}: frame ${attempt} does not show the step yet (${problems.join('; ')})`);
      await new Promise((done) => setTimeout(done, RETRY_MS));
    }
    writeFileSync(join(this.dir, `${this.prefix}${name}-STALE.png`), (await this.capture(driver, file)).png);
    throw new Error(`screenshot ${file} never showed its step after ${TRIES} frames: ${problems.join('; ')}`);
  }

  /** A screenshot after two more frames, not saved: a reference of the screen before a step. */
  async capture(driver, name = 'reference') {
    await driver.nextFrames();
    const png = await driver.screenshot();
    const image = decode(png);
    const stats = contentStats(image);
    // A blank or single-colour window has one colour; every screen here has text and cards.
    if (stats.colours < 50 || stats.varied < 0.02) {
      console.log(`   ${name}: the frame looks blank (${JSON.stringify(stats)})`);
    }
    return { name, png, image };
  }
}

async function check(driver, shot, changed, looks) {
  const selectors = [...changed, ...looks].map((entry) => entry.selector);
  const geometry = await driver.geometry(selectors);
  // The screenshot's pixels per CSS pixel: the device pixel ratio, as the image shows it.
  const scale = shot.image.width / geometry.innerWidth;
  const problems = [];
  const notes = [];
  const stats = contentStats(shot.image);
  if (stats.colours < 50 || stats.varied < 0.02) problems.push(`blank: ${JSON.stringify(stats)}`);
  const region = (selector, index) => {
    const rect = geometry.rects[index] && pixelRect(shot.image, geometry.rects[index], scale);
    if (!rect) problems.push(`${selector} is not on the screen (${JSON.stringify(geometry.rects[index])})`);
    return rect;
  };
  changed.forEach(({ selector, from }, index) => {
    const rect = region(selector, index);
    if (!rect) return;
    const describe = ({ mean, changed }) => `${(changed * 100).toFixed(1)} % of pixels, mean ${mean.toFixed(1)}`;
    const differences = from.map((reference) => ({ reference, ...regionDifference(shot.image, reference.image, rect) }));
    notes.push(`${selector} differs from ${differences.map((d) => `${d.reference.name} in ${describe(d)}`).join(', ')}`);
    for (const difference of differences) {
      if (!regionDiffers(shot.image, difference.reference.image, rect)) {
        problems.push(`${selector} looks as in ${difference.reference.name} (${describe(difference)})`);
      }
    }
  });
  looks.forEach(({ selector, near, far, tolerance }, index) => {
    const rect = region(selector, changed.length + index);
    if (!rect) return;
    const mean = regionMean(shot.image, rect);
    const colour = near ?? far;
    const distance = colourDistance(mean, colour);
    notes.push(`${selector} averages rgb(${mean.join(', ')})`);
    if (near && distance > tolerance) problems.push(`${selector} averages rgb(${mean.join(', ')}), not near rgb(${near.join(', ')})`);
    if (far && distance <= tolerance) problems.push(`${selector} averages rgb(${mean.join(', ')}), too near rgb(${far.join(', ')})`);
  });
  return { problems, notes };
}
