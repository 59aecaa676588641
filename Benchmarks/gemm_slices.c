/* What cutting a matrix product into shape-fixed slices costs on one core (Docs/benchmarks.md,
 * "Session 6: what the product slices cost"). ParallelGEMM cuts every large product into at most
 * Parallel.plannedWorkers = 8 slices by shape alone, so results do not depend on the worker count;
 * each slice is one OpenBLAS call that packs one operand again. This times, single-threaded, the
 * whole product against 8, 4 and 2 row or column slices for ResNet-50's 1×1 and im2col shapes.
 *
 *   gcc -O2 Benchmarks/gemm_slices.c -o /tmp/gemm_slices $(pkg-config --cflags --libs openblas)
 *   /tmp/gemm_slices        # batch 1
 *   /tmp/gemm_slices 8      # batch 8: n (the positions of all examples side by side) times 8
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
extern void openblas_set_num_threads(int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
/* C[m x n] = op(A) B, row-major, A m x k (or k x m when ta), B k x n, in `parts` slices of the
 * rows (rows = 1) or columns of C. */
static void run(int ta,int m,int n,int k,const float*a,const float*b,float*c,int parts,int rows){
  for(int p=0;p<parts;p++){
    int ext=rows?m:n; int lo=(long)ext*p/parts, hi=(long)ext*(p+1)/parts; if(hi<=lo) continue;
    int lda= ta? m:k;
    if(rows){ const float*as= ta? a+lo : a+(long)lo*lda;
      cblas_sgemm(CblasRowMajor, ta?CblasTrans:CblasNoTrans, CblasNoTrans, hi-lo,n,k,1,as,lda,b,n,0,c+(long)lo*n,n);}
    else { cblas_sgemm(CblasRowMajor, ta?CblasTrans:CblasNoTrans, CblasNoTrans, m,hi-lo,k,1,a,lda,b+lo,n,0,c+lo,n);}
  }
}
int main(int argc,char**argv){
  openblas_set_num_threads(1);
  int batch= argc>1? atoi(argv[1]) : 1; if(batch<1||batch>32) batch=1;
  int shapes[][4]={{0,256,3136,64},{0,64,3136,256},{0,64,3136,576},{0,512,784,128},{0,128,784,512},{0,128,784,1152},{0,1024,196,256},{0,256,196,1024},{0,256,196,2304},{0,2048,49,512},{0,512,49,2048},{0,512,49,4608},
                   {1,64,3136,256},{1,256,3136,64},{1,512,784,128},{1,128,784,512},{1,256,196,1024},{1,1024,196,256},{1,512,49,2048},{1,2048,49,512}};
  int ns=sizeof(shapes)/sizeof(shapes[0]);
  long size=5000000L*batch;
  float*a=malloc(sizeof(float)*size),*b=malloc(sizeof(float)*size),*c=malloc(sizeof(float)*size);
  if(!a||!b||!c){fprintf(stderr,"out of memory\n");return 1;}
  for(long i=0;i<size;i++){a[i]=(rand()%100)/100.f;b[i]=(rand()%100)/100.f;}
  printf("ta m n k | whole | 8 rows | 8 cols | 2 rows | 2 cols | 4 rows | 4 cols (ms, min of 7)\n");
  for(int s=0;s<ns;s++){int ta=shapes[s][0],m=shapes[s][1],n=shapes[s][2]*batch,k=shapes[s][3];
    int cfg[7][2]={{1,1},{8,1},{8,0},{2,1},{2,0},{4,1},{4,0}}; double best[7];
    for(int q=0;q<7;q++){best[q]=1e9; for(int r=0;r<7;r++){double t=now(); run(ta,m,n,k,a,b,c,cfg[q][0],cfg[q][1]); t=now()-t; if(t<best[q])best[q]=t;}}
    printf("%d %d %d %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f\n",ta,m,n,k,best[0]*1e3,best[1]*1e3,best[2]*1e3,best[3]*1e3,best[4]*1e3,best[5]*1e3,best[6]*1e3);}
}
