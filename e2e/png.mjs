// Decodes the screenshots WebDriver takes (WebKit's 8-bit RGB or RGBA; Chromium's 8-bit
// RGBA or RGB; greyscale, palette and 16-bit too; never interlaced) into RGB, and compares
// regions of them: whether a frame shows a step, not just some rendered screen.

import { inflateSync } from 'node:zlib';

/** `{width, height, rgb}`: three bytes a pixel, alpha dropped (screenshots are opaque). */
export function decode(png) {
  if (!Buffer.isBuffer(png)) return png; // already decoded
  if (png.length < 8 || png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let header;
  let palette;
  const data = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], color: body[9], interlace: body[12] };
    } else if (type === 'PLTE') {
      palette = body;
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  // Samples a pixel: greyscale, RGB, palette index, grey and alpha, RGBA.
  const samples = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[header?.color];
  const depthOk = header?.color === 3 ? header.depth === 8 : header?.depth === 8 || header?.depth === 16;
  if (!samples || !depthOk || header.interlace !== 0 || (header.color === 3 && !palette)) {
    throw new Error(`unsupported PNG: ${JSON.stringify(header)}`);
  }
  const bytesPerPixel = samples * (header.depth / 8);
  const raw = unfilter(inflateSync(Buffer.concat(data)), header.width, header.height, bytesPerPixel);
  const { width, height } = header;
  const rgb = Buffer.alloc(width * height * 3);
  const step = header.depth / 8; // 16-bit samples: the high byte is enough here
  for (let pixel = 0; pixel < width * height; pixel++) {
    const at = pixel * bytesPerPixel;
    const sample = (n) => raw[at + n * step];
    let r, g, b;
    if (header.color === 3) {
      const index = raw[at] * 3;
      [r, g, b] = [palette[index], palette[index + 1], palette[index + 2]];
    } else if (samples <= 2) {
      r = g = b = sample(0);
    } else {
      [r, g, b] = [sample(0), sample(1), sample(2)];
    }
    rgb[pixel * 3] = r;
    rgb[pixel * 3 + 1] = g;
    rgb[pixel * 3 + 2] = b;
  }
  return { width, height, rgb };
}

function unfilter(raw, width, height, bytesPerPixel) {
  const stride = width * bytesPerPixel;
  if (raw.length < (stride + 1) * height) throw new Error('truncated PNG data');
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= bytesPerPixel ? pixels[row + x - bytesPerPixel] : 0;
      const up = y > 0 ? pixels[row - stride + x] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) predictor = paeth(left, up, x >= bytesPerPixel && y > 0 ? pixels[row - stride + x - bytesPerPixel] : 0);
      pixels[row + x] = (raw[line + x] + predictor) & 0xff;
    }
  }
  return pixels;
}

function paeth(a, b, c) {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** How many colours, and what share of pixels differ from the most common one. */
export function contentStats(png) {
  const { width, height, rgb } = decode(png);
  const counts = new Map();
  for (let i = 0; i < rgb.length; i += 3) {
    const colour = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
    counts.set(colour, (counts.get(colour) ?? 0) + 1);
  }
  let commonest = 0;
  for (const count of counts.values()) commonest = Math.max(commonest, count);
  const total = width * height;
  return { width, height, colours: counts.size, varied: (total - commonest) / total };
}

/**
 * A rectangle in a screenshot's pixels from a CSS-pixel rect (`getBoundingClientRect()`):
 * scaled by `scale` (the device pixel ratio, or the screenshot's width over the viewport's)
 * and clipped to the image. `null` when nothing of it is on the screenshot.
 */
export function pixelRect(image, rect, scale = 1) {
  const { width, height } = decode(image);
  const x0 = Math.max(0, Math.floor(rect.x * scale));
  const y0 = Math.max(0, Math.floor(rect.y * scale));
  const x1 = Math.min(width, Math.ceil((rect.x + rect.width) * scale));
  const y1 = Math.min(height, Math.ceil((rect.y + rect.height) * scale));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/**
 * How two screenshots of the same size differ inside `rect` (image pixels): `mean`, the
 * mean absolute difference of the channels (0 to 255), and `changed`, the share of pixels
 * of which some channel differs by more than `tolerance`. A one-digit change in a balance
 * moves the mean little but changes a few percent of the pixels; a stale frame changes none.
 */
export function regionDifference(pngA, pngB, rect, tolerance = 32) {
  const a = decode(pngA);
  const b = decode(pngB);
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`screenshots of different sizes: ${a.width}x${a.height} and ${b.width}x${b.height}`);
  }
  let sum = 0;
  let changed = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let i = (y * a.width + rect.x) * 3, end = i + rect.width * 3; i < end; i += 3) {
      const dr = Math.abs(a.rgb[i] - b.rgb[i]);
      const dg = Math.abs(a.rgb[i + 1] - b.rgb[i + 1]);
      const db = Math.abs(a.rgb[i + 2] - b.rgb[i + 2]);
      sum += dr + dg + db;
      if (dr > tolerance || dg > tolerance || db > tolerance) changed++;
    }
  }
  const pixels = rect.width * rect.height;
  return { mean: sum / (pixels * 3), changed: changed / pixels, pixels: changed };
}

/** Whether the region shows something else: at least `share` of its pixels (and 20) changed. */
export function regionDiffers(pngA, pngB, rect, share = 0.002) {
  const { changed, pixels } = regionDifference(pngA, pngB, rect);
  return changed >= share && pixels >= 20;
}

/** The mean colour inside `rect`, `[r, g, b]`. */
export function regionMean(png, rect) {
  const { width, rgb } = decode(png);
  const sum = [0, 0, 0];
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const i = (y * width + x) * 3;
      sum[0] += rgb[i];
      sum[1] += rgb[i + 1];
      sum[2] += rgb[i + 2];
    }
  }
  const n = rect.width * rect.height;
  return sum.map((total) => Math.round(total / n));
}

/** The largest difference of two colours over the three channels. */
export function colourDistance(a, b) {
  return Math.max(...a.map((value, i) => Math.abs(value - b[i])));
}
