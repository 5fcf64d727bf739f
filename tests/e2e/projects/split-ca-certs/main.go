package main

import (
	"crypto/x509"
	"fmt"
	"os"
)

// Loads the company CA the build copied into /etc/ssl/certs, as a TLS client would.
func main() {
	pem, err := os.ReadFile("/etc/ssl/certs/company-ca.pem")
	if err != nil {
		fmt.Println("no company CA:", err)
		os.Exit(1)
	}
	pool := x509.NewCertPool()
	fmt.Println("company CA loaded:", pool.AppendCertsFromPEM(pem))
}
