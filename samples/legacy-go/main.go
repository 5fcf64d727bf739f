// Legacy sample service: GET / -> "hello from legacy-go", GET /health -> "ok".
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprintln(w, "hello from legacy-go")
		case "/health", "/healthz":
			fmt.Fprint(w, "ok")
		default:
			http.NotFound(w, r)
		}
	})
	log.Printf("listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
