"""In-page checks run by the UI tests: WCAG contrast of every visible text, clipped controls,
and truncated text that has no tooltip. Each returns a list of problems (empty = pass)."""
from __future__ import annotations

# Effective colours: the text colour (SVG text: its fill) alpha-blended over the first opaque
# background found walking up the ancestors, each translucent layer blended on the way.
_CONTRAST_JS = r"""
(root) => {
  const parse = c => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg[3] > 0) {
        layers.push(bg);
        if (bg[3] >= 1) break;
      }
    }
    let color = [255, 255, 255, 1];
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const problems = [];
  const seen = new Set();
  for (const el of root.querySelectorAll('*')) {
    const text = [...el.childNodes]
      .filter(n => n.nodeType === 3)
      .map(n => n.textContent.trim())
      .join(' ');
    if (!text) continue;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest(':disabled, option, [aria-hidden="true"]')) continue;
    const isSvg = el instanceof SVGElement;
    let fg = parse(isSvg ? style.fill : style.color);
    if (!fg) continue;
    const bg = background(isSvg ? el.closest('svg') || el : el);
    fg = over([fg[0], fg[1], fg[2], fg[3] * Number(style.opacity || 1)], bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const key = text.slice(0, 40) + ratio.toFixed(2);
    if (ratio < 4.5 && !seen.has(key)) {
      seen.add(key);
      problems.push(`${ratio.toFixed(2)}:1 "${text.slice(0, 40)}" <${el.tagName.toLowerCase()} class="${el.getAttribute('class') || ''}">`);
    }
  }
  return problems;
}
"""

_CLIPPED_JS = r"""
(root) => {
  const box = root.getBoundingClientRect();
  const problems = [];
  const controls = root.querySelectorAll('button, input, select, textarea, a, [role="tab"]');
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (el.closest('.nbtrack-scroll, .nbtrack-table-scroll')) continue;  // scrolls on purpose
    const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('title') || el.tagName).trim().slice(0, 30);
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5) {
      problems.push(`outside the panel (${Math.round(r.left)}..${Math.round(r.right)} vs ${Math.round(box.left)}..${Math.round(box.right)}): ${name}`);
    } else if (el.tagName === 'BUTTON' && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`label clipped (${el.scrollWidth} > ${el.clientWidth}): ${name}`);
    }
  }
  for (const el of root.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if (s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1 && !el.closest('[title]')) {
      problems.push(`truncated without a tooltip: ${el.textContent.trim().slice(0, 30)}`);
    }
  }
  return problems;
}
"""


def contrast_problems(page, selector: str) -> list[str]:
    """Visible texts under ``selector`` whose contrast is below 4.5:1 (WCAG AA)."""
    return page.locator(selector).first.evaluate(_CONTRAST_JS)


def clipped_controls(page, selector: str) -> list[str]:
    """Controls under ``selector`` cut by its edges or by their own box; untitled ellipses."""
    return page.locator(selector).first.evaluate(_CLIPPED_JS)
