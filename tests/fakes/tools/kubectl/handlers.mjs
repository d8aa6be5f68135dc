// Extra fake-kubectl subcommands, one module each: add a line per subcommand.
export default {
}
