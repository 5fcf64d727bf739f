console.log("private registry app ok");
