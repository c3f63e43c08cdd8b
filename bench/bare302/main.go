// Command bare302 is the yardstick of bench/redirect.sh: a net/http server
// that answers every request with the same kind of 302 as Tandem's short
// links (a destination with a fresh click ID appended, Cache-Control:
// no-store) and does nothing else. Tandem's redirect speed is quoted as a
// ratio to this server's, measured on the same machine in the same run.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/tandem-prm/tandem"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "https://example.com/?utm_source=partner", "where to redirect")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, *target+"&tandem_click="+tandem.NewID(tandem.PrefixClick), http.StatusFound)
	})))
}
