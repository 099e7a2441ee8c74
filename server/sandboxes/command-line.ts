/** How a command line is recorded: quoted where needed, at most 2,000 characters (never its output). */
export function commandLine(cmd: readonly string[]): string {
  const line = cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return line.length > 2000 ? `${line.slice(0, 2000)}…` : line;
}
