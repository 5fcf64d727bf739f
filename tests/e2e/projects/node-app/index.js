console.log("express-style app ok");
