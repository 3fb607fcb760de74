/** comedy actor: no state. */
export default class ComedyIdle {
  ping(): number {
    return 1;
  }
}
