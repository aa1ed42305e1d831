/**
 * Sets `key` as the newest entry of an insertion-ordered map and drops the oldest past `limit`:
 * for caches keyed by values a long-running process may never repeat (SQL texts, point-query
 * values, generated loop sources), so each keeps only its latest entries.
 */
export function rememberRecent<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value!);
}
