// `npm run build`: src/server.js -> dist/server.js with the devDependency split-node-build.
require('split-node-build')('src/server.js', 'dist/server.js');
