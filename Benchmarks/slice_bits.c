/* Are the slices of a matrix product the same bits as the whole product? For resnet50's forward
   and input-gradient product shapes (and two odd ones), C = op(A) * B is computed once whole and
   then as 2..8 row slices and 2..8 column slices (one OpenBLAS call per slice, as ParallelGEMM
   cuts it); every case whose bytes differ from the whole product is printed.

     gcc -O2 Benchmarks/slice_bits.c -o /tmp/slice_bits $(pkg-config --cflags --libs openblas)
     OPENBLAS_NUM_THREADS=1 /tmp/slice_bits
     OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell /tmp/slice_bits

   Docs/benchmarks.md, "Session 9". */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static void mul(int ta, int m, int n, int k, const float*a, int lda, const float*b, int ldb, float*c, int ldc){
  cblas_sgemm(CblasRowMajor, ta?CblasTrans:CblasNoTrans, CblasNoTrans, m,n,k,1,a,lda,b,ldb,0,c,ldc);
}
int main(){
  int shapes[][4]={{0,256,3136,64},{0,64,3136,256},{0,64,3136,576},{0,512,784,128},{0,128,784,512},{0,128,784,1152},{0,1024,196,256},{0,256,196,1024},{0,256,196,2304},{0,2048,49,512},{0,512,49,2048},{0,512,49,4608},
   {1,64,3136,256},{1,256,3136,64},{1,512,784,128},{1,128,784,512},{1,256,196,1024},{1,1024,196,256},{1,512,49,2048},{1,2048,49,512},{0,64,12544,147},{0,147,12544,64},{1,147,12544,64},{0,37,91,53},{0,1000,8,2048}};
  int ns=sizeof(shapes)/sizeof(shapes[0]); int bad=0;
  for(int s=0;s<ns;s++){
    int ta=shapes[s][0],m=shapes[s][1],n=shapes[s][2],k=shapes[s][3];
    float*a=malloc(sizeof(float)*m*k),*b=malloc(sizeof(float)*k*n),*c0=malloc(sizeof(float)*m*n),*c1=malloc(sizeof(float)*m*n);
    srand(s+1); for(int i=0;i<m*k;i++)a[i]=rand()/(float)RAND_MAX-0.5f; for(int i=0;i<k*n;i++)b[i]=rand()/(float)RAND_MAX-0.5f;
    int lda= ta? m : k;
    mul(ta,m,n,k,a,lda,b,n,c0,n);
    for(int parts=2;parts<=8;parts++){
      for(int rows=0;rows<2;rows++){
        int extent=rows?m:n;
        memset(c1,0xff,sizeof(float)*m*n);
        for(int p=0;p<parts;p++){
          int lo=(long)extent*p/parts, hi=(long)extent*(p+1)/parts; if(hi<=lo)continue;
          if(rows){ const float*as= ta? a+lo : a+lo*lda; mul(ta,hi-lo,n,k,as,lda,b,n,c1+lo*n,n);}
          else mul(ta,m,hi-lo,k,a,lda,b+lo,n,c1+lo,n);
        }
        if(memcmp(c0,c1,sizeof(float)*m*n)){bad++; printf("DIFF ta=%d %dx%dx%d parts=%d rows=%d\n",ta,m,n,k,parts,rows);}
      }
    }
    free(a);free(b);free(c0);free(c1);
  }
  printf("shapes %d, differing cases %d\n",ns,bad);
}
