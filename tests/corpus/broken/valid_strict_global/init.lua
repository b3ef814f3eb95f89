function valid_strict_global_helper()
	return 1
end
print(undeclared_thing)
