// Plain JavaScript on purpose: it must run on the old Node it complains about.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `Tideway needs Node.js 22.19 or newer; this is ${process.version}.\n` +
      'Install Node 22 (https://nodejs.org, or as root: bash scripts/ensure-node.sh), then run the command again.\n',
  );
  process.exit(1);
}
