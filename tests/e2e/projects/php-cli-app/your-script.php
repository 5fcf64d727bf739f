<?php echo "php cli ok\n";
