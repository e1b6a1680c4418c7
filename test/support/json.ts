/**
 * A JSON document a test reads back (an HTTP answer's body, a `--json` run's output).
 *
 * Typed loosely on purpose: a test walks into it (`r.body.cards[0].keys`) and its expect()
 * calls are what check the shape. Code under test never uses this; src/ parses JSON into
 * real types or `unknown`.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests read parsed JSON loosely and check its shape with expect()
export type TestJson = any;
