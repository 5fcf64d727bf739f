// A stand-in build tool: "bundles" a source file into dist/ (only needed at build time).
'use strict';
var fs = require('fs');
var path = require('path');

module.exports = function bundle(src, dest) {
  var code = fs.readFileSync(src, 'utf8');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, '// built by split-node-build\n' + code);
};
