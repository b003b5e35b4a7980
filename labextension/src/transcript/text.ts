// Escaping and small formatters for the transcript renderer.

export function escapeHtml(text: unknown): string {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return String(text ?? '').replace(/[&<>"']/g, c => map[c]);
}

export function shellJoin(argv: readonly string[] | null | undefined): string {
  return (argv || [])
    .map(a => (a === '' ? "''" : /^[\w@%+=:,./-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\"'\"'") + "'"))
    .join(' ');
}

const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash']);

/** How a command is shown: `bash -c SCRIPT` / `bash -lc SCRIPT` as the script itself (as
 * Codex shows it; the approval still covers the exact argv), anything else `shellJoin`ed.
 * Same rule as the kernel's parts.command_text. */
export function commandText(argv: readonly string[] | null | undefined): string {
  const a = argv || [];
  if (a.length === 3 && SHELLS.has(a[0].split('/').pop() || '') && (a[1] === '-c' || a[1] === '-lc') && a[2].trim()) {
    return a[2];
  }
  return shellJoin(a);
}

/** `1 file`, `2 files`, `0 files`. */
export function plural(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun + 's'}`;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) {
    return '';
  }
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)} s`;
  }
  return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) {
    return `${n} B`;
  }
  if (n < 1024 * 1024) {
    return `${(n / 1024).toFixed(1)} KiB`;
  }
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
