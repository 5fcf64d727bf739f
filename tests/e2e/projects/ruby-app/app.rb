puts "sinatra-style app ok"
