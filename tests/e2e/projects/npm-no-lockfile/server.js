console.log(`${require("./package.json").name} ok`);
