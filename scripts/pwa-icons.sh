#!/usr/bin/env bash
# Makes the web app's icons in ui/icons/ from ui/icon.png with ImageMagick (Debian's
# `imagemagick`); they are committed, so only a changed ui/icon.png needs this again.
#   icon-192.png, icon-512.png     the icon as it is, round corners transparent ("any")
#   maskable-192.png, -512.png     full bleed: the mark at 80 % on the icon's gradient, so a
#                                  launcher's circle or squircle mask never cuts it ("maskable")
#   apple-touch-icon.png (180 px)  full bleed too: iOS rounds the corners itself
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
command -v identify >/dev/null || ensure_packages imagemagick
convert=/usr/bin/convert # not a stand-in earlier on the PATH
out=ui/icons
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for size in 192 512; do
  "$convert" ui/icon.png -filter Lanczos -resize "${size}x${size}" -strip "PNG32:$out/icon-$size.png"
done

# The white mark alone: the icon's lightness, its blue background cut away, as alpha.
"$convert" ui/icon.png -background black -alpha remove -colorspace gray -level 55%,100% "$scratch/alpha.png"
"$convert" -size 256x256 xc:white "$scratch/alpha.png" -alpha off -compose copy-opacity -composite "$scratch/mark.png"
for size in 180 192 512; do
  mark=$((size * 8 / 10))
  "$convert" -size "${size}x${size}" -define gradient:angle=135 gradient:'#0f766e-#2563eb' \
    \( "$scratch/mark.png" -filter Lanczos -resize "${mark}x${mark}" \) -gravity center -compose over -composite \
    -alpha off -strip "PNG24:$scratch/full-$size.png"
done
mv "$scratch/full-192.png" "$out/maskable-192.png"
mv "$scratch/full-512.png" "$out/maskable-512.png"
mv "$scratch/full-180.png" "$out/apple-touch-icon.png"
identify -format '%f %wx%h\n' "$out"/*.png
