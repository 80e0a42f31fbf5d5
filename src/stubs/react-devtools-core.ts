/** Ink imports react-devtools-core only in development; the bundle aliases it to this stub. */
export default { initialize(): void {}, connectToDevTools(): void {} };
