/** comedy actor (module-defined): answers what it is asked. */
export default class ComedyEcho {
  echo(x: number): number {
    return x;
  }
}
