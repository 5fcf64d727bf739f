console.log("built app ok");
