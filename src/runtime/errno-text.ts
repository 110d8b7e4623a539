// An errno as tsrunc's messages show it: "no such file or directory (ENOENT)"; strerror's words for
// the few errnos Node's table lacks (ENOEXEC, say).
import { getSystemErrorMap } from 'node:util';
import { native } from '../linux/native';

export function errnoText(errno: number): string {
  const entry = getSystemErrorMap().get(-errno);
  if (entry) return `${entry[1].toLowerCase()} (${entry[0]})`;
  const { message, name } = native().strerror(errno);
  return name ? `${message.toLowerCase()} (${name})` : `errno ${errno}`;
}

/** Why a system call failed as strerror words it: "Exec format error". */
export function strerror(errno: number): string {
  return native().strerror(errno).message;
}
